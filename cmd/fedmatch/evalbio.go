package main

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/fedmatch/fedmatch/internal/eval"
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
their highest score), and comparisons per second on one core (probe
preparation included), then the line
  fingerprint eer E cmp_per_s C
with E the mean of the folders' equal error rates, as FVC reports.
FVC2002 templates: neilharan/openafis (BSD-2-Clause), minutiae extracted
from the FVC2002 B image sets.`)
	sets, help, err := parseFingerDir(e, fs, args)
	if help || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\ttemplates\tgenuine\timpostor\tEER\tFNMR@FMR1%\tFNMR@FMR0.1%\tFNMR@FMR0.01%\tcmp/s\t")
	var all eval.Scores
	sum := 0.0
	row := func(name string, n int, s eval.Scores) eval.Rates {
		r := eval.ErrorRates(s, fingerFMRs...)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.0f\t\n", name, n, len(s.Genuine), len(s.Impostor),
			r.EER, r.FNMR[0], r.FNMR[1], r.FNMR[2], float64(s.Comparisons)/s.Elapsed.Seconds())
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
