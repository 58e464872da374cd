package main

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/calib"
	"github.com/fedmatch/fedmatch/node/face"
	"github.com/fedmatch/fedmatch/node/finger"
)

// fingerFMRs are the false-match rates fingerprint results are reported at.
var fingerFMRs = []float64{0.01, 0.001, 0.0001}

func runEvalFingerprints(e *env, args []string) error {
	fs := flags(e, "eval fingerprints", "eval fingerprints --dir DIR", `
Scores every pair of fingerprint templates in each subfolder of DIR with
the node's minutiae matcher, laid out like ../shared/data/biometrics/
fvc2002-iso: DB*/<finger>_<impression>.iso, ISO/IEC 19794-2 or ANSI
INCITS 378 records. Templates of the same folder and finger are genuine
pairs, of the same folder and another finger impostors; folders are never
paired with each other (FVC's protocol: all genuine and impostor pairs).

Prints, per folder and overall (every folder's scores pooled), the equal
error rate, the false non-match rate at false-match rates of 1 %, 0.1 %
and 0.01 % (below what a folder's impostors resolve it is the rate at
their highest score), comparisons per second on one core, and the
microseconds it took to index each template as a probe (once per probe,
however many views it is compared with; timed apart), then the line
  fingerprint eer E cmp_per_s C
with E the mean of the folders' equal error rates, as FVC reports.
FVC2002 templates: neilharan/openafis (BSD-2-Clause), minutiae extracted
from the FVC2002 B image sets.`)
	sets, help, err := parseFingerDir(e, fs, args)
	if help || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\ttemplates\tgenuine\timpostor\tEER\tFNMR@FMR1%\tFNMR@FMR0.1%\tFNMR@FMR0.01%\tcmp/s\tindex µs\t")
	var all eval.Scores
	sum := 0.0
	row := func(name string, n int, s eval.Scores) eval.Rates {
		r := eval.ErrorRates(s, fingerFMRs...)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.0f\t%.0f\t\n", name, n, len(s.Genuine), len(s.Impostor),
			r.EER, r.FNMR[0], r.FNMR[1], r.FNMR[2], float64(s.Comparisons)/s.Elapsed.Seconds(),
			float64(s.Indexing.Microseconds())/float64(max(1, s.Indexed)))
		return r
	}
	templates := 0
	for _, set := range sets {
		fmt.Fprintf(e.stderr, "comparing %s: %d templates\n", set.Name, len(set.Views))
		s := eval.CompareAll(set, finger.Compare)
		sum += row(set.Name, len(set.Views), s).EER
		all.Add(s)
		templates += len(set.Views)
	}
	row("pooled", templates, all)
	tw.Flush()
	fmt.Fprintf(e.stdout, "fingerprint eer %.4f cmp_per_s %.0f\n", sum/float64(len(sets)), float64(all.Comparisons)/all.Elapsed.Seconds())
	return nil
}

// parseFingerDir adds the required --dir flag to fs, parses args and reads
// the fingerprint templates beneath it; help is true when the usage was
// asked for and printed.
func parseFingerDir(e *env, fs *flag.FlagSet, args []string) (sets []eval.FingerSet, help bool, err error) {
	dir := fs.String("dir", "", "folder of DB*/<finger>_<impression>.iso templates")
	if help, err := parse(e, fs, args); help || err != nil {
		return nil, help, err
	}
	if err := required(fs, "dir"); err != nil {
		return nil, false, err
	}
	sets, err = eval.ReadFingerDir(*dir)
	return sets, false, err
}

func runEvalBiometrics(e *env, args []string) error {
	fs := flags(e, "eval biometrics", "eval biometrics [--dir DIR] [--fingers N] [--tenprints N] [--faces N] [--face-probes N] [--exact N] [--seed N]", `
Reports fingerprint and face matching separately: the genuine and
impostor score distributions (quantiles), the false-match and false
non-match rates measured at the calibrated thresholds of 2, 3 and 4
decades (FMR 1 %, 0.1 %, 0.01 %), the equal error rate, the rank-1
identification rate and the speed on one core.

Fingerprints: the FVC2002 templates in --dir where present (see 'eval
fingerprints'; neilharan/openafis, BSD-2-Clause), and --fingers synthetic
fingers of 8 impressions each (internal/synth: rotation, translation,
elastic stretch, position and angle noise, dropout, spurious minutiae,
partial prints). Rank-1: each finger's first impression enrolled, every
other impression searched against all of them. Then 1:N with ten-finger
records: --tenprints synthetic people enrolled (impression 1 of each
finger), 20 of them searched with their other impression of every finger
through the gallery's filter, timed; and on 1,000 records, 10 searched
both through the filter and exhaustively, for what the filter costs.

Faces: synthetic identity clusters (512 dimensions; there is no public
face template set here): verification pairs for the distributions, then
a gallery of --faces identities searched 1:N with --face-probes mated
probes, --exact of them also exhaustively, to show what the sign-bit
shortlist costs in recall. The face threshold is calibrated on random
pairs of the gallery.

Ends with the line
  fingerprint eer E fmr1e-4_fnmr F cmp_per_s C face rank1 R search_ms_1m S
(rates as fractions; E the mean EER of the FVC sets, or of the synthetic
set without them; F the FNMR at the calibrated 1e-4 threshold; S the mean
milliseconds per search of a --faces gallery, 1,000,000 by default).`)
	dir := fs.String("dir", "../shared/data/biometrics/fvc2002-iso", "FVC-style folder of fingerprint templates, used where present")
	fingers := fs.Int("fingers", 200, "synthetic fingers, 8 impressions each")
	tenprints := fs.Int("tenprints", 100_000, "synthetic ten-finger records for the 1:N search")
	faces := fs.Int("faces", 1_000_000, "synthetic face gallery size")
	probes := fs.Int("face-probes", 1000, "mated face searches")
	exact := fs.Int("exact", 50, "of those, searched exhaustively too")
	seed := fs.Uint64("seed", 1, "random seed of the synthetic data")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *fingers < 2 || *faces < 100 || *probes < 1 || *tenprints < 10 {
		return usageErr("eval biometrics: want --fingers of at least 2, --tenprints of at least 10, --faces of at least 100 and --face-probes of at least 1")
	}
	cal := finger.DefaultCalibration()
	thresholds := []float64{2, 3, 4}
	var sources []fingerSource
	if sets, err := eval.ReadFingerDir(*dir); err == nil {
		sources = append(sources, fingerSource{"FVC2002 " + *dir, sets})
	} else {
		fmt.Fprintf(e.stderr, "no FVC templates (%v): synthetic fingerprints only\n", err)
	}
	syn, err := eval.SyntheticFingers(*seed, *fingers, 8, synth.DefaultFingerOptions())
	if err != nil {
		return err
	}
	sources = append(sources, fingerSource{"synthetic", []eval.FingerSet{syn}})
	var sumEER, fnmr4, cmpPerS float64
	for i, src := range sources {
		fmt.Fprintf(e.stderr, "fingerprints: %s\n", src.name)
		var all eval.Scores
		eers := 0.0
		templates, rank1 := 0, 0.0
		for _, set := range src.sets {
			s := eval.CompareAll(set, finger.Compare)
			eers += eval.ErrorRates(s).EER
			all.Add(s)
			rank1 += eval.Rank1(set) * float64(len(set.Views))
			templates += len(set.Views)
		}
		dec := eval.Calibrated(all, cal)
		fmt.Fprintf(e.stdout, "fingerprints, %s: %d sets, %d templates, %d genuine and %d impostor pairs\n", src.name, len(src.sets), templates, len(all.Genuine), len(all.Impostor))
		printDistribution(e, "calibrated score (decades of FMR)", dec)
		at := eval.RatesAt(dec, thresholds...)
		printRates(e, at, "%.0f decades")
		eer := eers / float64(len(src.sets))
		speed := float64(all.Comparisons) / all.Elapsed.Seconds()
		fmt.Fprintf(e.stdout, "  eer %.4f (mean of sets; pooled %.4f), rank-1 %.4f, %.0f comparisons/s on one core\n\n", eer, eval.ErrorRates(all).EER, rank1/float64(templates), speed)
		if i == 0 {
			sumEER, fnmr4, cmpPerS = eer, at[2].FNMR, speed
		}
	}
	fmt.Fprintf(e.stderr, "fingerprints 1:N: %d synthetic ten-finger records\n", *tenprints)
	tp := eval.TenPrints(*seed, *tenprints, 20, min(1000, *tenprints), 10, func(s string) { fmt.Fprintln(e.stderr, "  "+s) })
	fmt.Fprintf(e.stdout, "fingerprints 1:N, synthetic ten-finger records: %d enrolled, %d ten-finger searches\n", tp.Records, tp.Probes)
	fmt.Fprintf(e.stdout, "  rank-1 %.4f through the filter (%d candidates compared in full), %.1f ms per search on one core\n", tp.Rank1, finger.Candidates, float64(tp.SearchTime.Microseconds())/1000)
	fmt.Fprintf(e.stdout, "  filter cost, %d searches of %d records both ways: rank-1 %.4f exhaustive, %.4f through the filter\n\n", tp.ExactProbes, tp.ExactRecords, tp.Rank1Exact, tp.Rank1Filtered)
	fmt.Fprintf(e.stderr, "faces: synthetic, gallery of %d\n", *faces)
	rep, err := eval.Faces(*seed, 2000, *faces, *probes, *exact, func(s string) { fmt.Fprintln(e.stderr, "  "+s) })
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "faces, synthetic (model %s version %s, %d dimensions): %d genuine and %d impostor pairs\n",
		synth.FaceModel.Name, synth.FaceModel.Version, synth.FaceModel.Dim, len(rep.Verification.Genuine), len(rep.Verification.Impostor))
	printDistribution(e, "cosine similarity", rep.Verification)
	var cos []float64
	for _, d := range thresholds {
		cos = append(cos, cosineAt(rep.Calibration, d))
	}
	printRates(e, eval.RatesAt(rep.Verification, cos...), "cosine %.3f")
	fmt.Fprintf(e.stdout, "  eer %.4f\n", eval.ErrorRates(rep.Verification).EER)
	fmt.Fprintf(e.stdout, "  1:N over %d templates: rank-1 %.4f over %d mated probes, %.2f ms per search on one core\n", rep.Gallery, rep.Rank1, rep.Probes, float64(rep.SearchTime.Microseconds())/1000)
	fmt.Fprintf(e.stdout, "  shortlist cost, %d probes searched both ways: rank-1 %.4f exhaustive, %.4f with the shortlist of %d\n\n", rep.Exact, rep.Rank1Exact, rep.Rank1Short, face.Shortlist)
	fmt.Fprintf(e.stdout, "fingerprint eer %.4f fmr1e-4_fnmr %.4f cmp_per_s %.0f face rank1 %.4f search_ms_1m %.2f\n",
		sumEER, fnmr4, cmpPerS, rep.Rank1, float64(rep.SearchTime.Microseconds())/1000)
	return nil
}

type fingerSource struct {
	name string
	sets []eval.FingerSet
}

// cosineAt inverts a face calibration: the cosine that scores d decades.
func cosineAt(c *calib.Calibration, d float64) float64 {
	lo, hi := -1.0, 1.0
	for range 60 {
		if mid := (lo + hi) / 2; c.Decades(mid) < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func printDistribution(e *env, what string, s eval.Scores) {
	fmt.Fprintf(e.stdout, "  %s at quantiles", what)
	for _, q := range eval.Quantiles {
		fmt.Fprintf(e.stdout, " %g", q)
	}
	fmt.Fprintln(e.stdout)
	for _, row := range []struct {
		name string
		x    []float64
	}{{"genuine", s.Genuine}, {"impostor", s.Impostor}} {
		fmt.Fprintf(e.stdout, "    %-9s", row.name)
		for _, v := range eval.Summary(row.x) {
			fmt.Fprintf(e.stdout, " %7.3f", v)
		}
		fmt.Fprintln(e.stdout)
	}
}

func printRates(e *env, at []eval.AtThreshold, label string) {
	for _, a := range at {
		fmt.Fprintf(e.stdout, "  at "+label+": FMR %.5f FNMR %.4f\n", a.Threshold, a.FMR, a.FNMR)
	}
}
