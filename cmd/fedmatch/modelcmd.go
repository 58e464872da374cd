package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/durable"
	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/calib"
	"github.com/fedmatch/fedmatch/node/finger"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

func runModel(_ context.Context, e *env, args []string) error {
	return dispatch(e, "model", []subcommand{
		{"estimate", "estimate the matcher's Fellegi–Sunter model (m, u, prior) from data", runModelEstimate},
		{"show", "print a model: each comparison level's m, u and weight", runModelShow},
		{"translit", "learn how names in other scripts are spelt in Latin letters, from name pairs", runModelTranslit},
		{"fingerprints", "calibrate fingerprint scores to false-match rates, from impostor pairs", runModelFingerprints},
	}, args)
}

func runModelTranslit(e *env, args []string) error {
	fs := flags(e, "model translit", "model translit [--out FILE] FILE...", `
Learns the transliteration model the matcher compares names across
scripts with: for each unit of another script (letter, kana, Hangul jamo,
Chinese character's pinyin) the probabilities of its Latin spellings, by
EM over every alignment of known pairs; then calibrates it per script
against unrelated pairs. FILEs are name pairs, latin<TAB>native characters
separated by spaces<TAB>count, such as ../shared/data/names/wd_*_20.tsv
(Wikidata via Merhav & Ash, COLING 2018, CC0).

The model shipped in the binary (node/match/translit.json) is
  fedmatch model translit --out node/match/translit.json ../shared/data/names/wd_*_20.tsv
Measure a model honestly with 'fedmatch eval names', which trains on half
of the pairs and tests on the other half.`)
	out := fs.String("out", "-", "write the model here ('-' for standard output)")
	seed := fs.Uint64("seed", 1, "random seed for the calibration's unrelated pairs")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("model translit: one or more FILEs are required")
	}
	sets, err := readNameFiles(fs.Args())
	if err != nil {
		return err
	}
	var pairs []match.TransPair
	for _, set := range sets {
		pairs = append(pairs, eval.TransPairs(set)...)
	}
	fmt.Fprintf(e.stderr, "training on %d pairs\n", len(pairs))
	t, err := match.TrainTransliteration(pairs, *seed)
	if err != nil {
		return err
	}
	b, err := t.Marshal()
	if err != nil {
		return err
	}
	return writeModel(e, *out, b, t.String())
}

// writeModel writes a model to out ("-" for standard output), fsynced,
// and says what it wrote.
func writeModel(e *env, out string, b []byte, summary string) error {
	if out == "-" {
		_, err := e.stdout.Write(b)
		return err
	}
	if err := durable.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s\n", out, summary)
	return nil
}

func runModelFingerprints(e *env, args []string) error {
	fs := flags(e, "model fingerprints", "model fingerprints --dir DIR [--out FILE]", `
Fits the fingerprint matcher's calibration: the raw score that 10 %, 1 %,
0.1 % … of impostor pairs exceed, so that a node reports a match as the
false-match rate it would have (a score of 4 decades: 1 in 10,000). The
impostors are every pair of templates in DIR (laid out as for 'fedmatch
eval fingerprints') that are not the same finger, across folders too.

The calibration shipped in the binary (node/finger/calibration.json) is
  fedmatch model fingerprints --dir ../shared/data/biometrics/fvc2002-iso \
      --out node/finger/calibration.json`)
	out := fs.String("out", "-", "write the calibration here ('-' for standard output)")
	sets, help, err := parseFingerDir(e, fs, args)
	if help || err != nil {
		return err
	}
	imp := eval.AllImpostors(sets, finger.Compare)
	fmt.Fprintf(e.stderr, "scored %d impostor pairs\n", len(imp))
	c, err := calib.Fit(imp)
	if err != nil {
		return err
	}
	return writeModel(e, *out, append(c.Marshal(), '\n'), fmt.Sprintf("%d decades from %d impostor pairs", len(c.Raw), len(imp)))
}

func runModelEstimate(e *env, args []string) error {
	fs := flags(e, "model estimate", "model estimate (--data DIR | --febrl FILE | --synthetic N) [--labelled] [--out FILE]", `
Estimates the match model a node scores with: for every comparison level,
m (its probability when probe and record are the same person) and u (when
they are not), and the prior share of candidate pairs that match.

All three are estimated over candidate pairs (pairs of records that share
a blocking key), the only pairs a node scores. By default by expectation
maximisation, starting u from random pairs: no labels are needed, but the
records must hold some duplicates (the same person recorded twice), or
there is nothing to learn m from and the estimate is refused. With
--labelled, from pairs known to be the same person or not instead
(FEBRL's rec_id; the synthetic generator's truth).

  --data DIR      the node's own records; the model is written to
                  DIR/model.json (the node loads it when it starts)
  --febrl FILE    a FEBRL CSV (originals and duplicates)
  --synthetic N   N synthetic people, each held once and once more as
                  another agency would record them (typos, other scripts,
                  swapped names and dates, partial dates)

The default model shipped in the binary (node/match/default_model.json) is
  fedmatch model estimate --synthetic 20000 --labelled --out node/match/default_model.json`)
	data := fs.String("data", "", "node data directory: estimate from its records, write DIR/model.json")
	febrl := fs.String("febrl", "", "estimate from a FEBRL CSV")
	synthetic := fs.Int("synthetic", 0, "estimate from N synthetic people and their variants")
	labelled := fs.Bool("labelled", false, "take m from known matching pairs instead of EM (--febrl, --synthetic)")
	out := fs.String("out", "", "write the model here ('-' for standard output; default DIR/model.json with --data, else standard output)")
	seed := fs.Uint64("seed", 2026, "random seed (synthetic data and random pairs)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	sources := 0
	for _, set := range []bool{*data != "", *febrl != "", *synthetic > 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return usageErr("model estimate: give exactly one of --data, --febrl, --synthetic")
	}
	if *labelled && *data != "" {
		return usageErr("model estimate: --labelled needs known pairs (--febrl or --synthetic); a node's records carry none")
	}
	m := match.New(match.DefaultConfig(), nil)
	var (
		recs   []*fedmatch.Record
		source string
		// same says which records are one person, for --labelled.
		same func(i, j int) bool
	)
	switch {
	case *data != "":
		st, err := store.Open(*data, m, nil)
		if err != nil {
			return err
		}
		if recs, err = st.Records(); err != nil {
			return err
		}
		source = fmt.Sprintf("%d records of the node in %s", len(recs), *data)
	case *febrl != "":
		rows, err := readFEBRL(*febrl)
		if err != nil {
			return err
		}
		for _, r := range rows {
			recs = append(recs, r.Record)
		}
		same = func(i, j int) bool { return rows[i].Entity == rows[j].Entity }
		source = fmt.Sprintf("FEBRL %s (%d records)", *febrl, len(rows))
	default:
		var people []int
		recs, people = synth.Twice(*synthetic, *seed)
		same = func(i, j int) bool { return people[i] == people[j] }
		source = fmt.Sprintf("%d synthetic people (seed %d), each recorded twice", *synthetic, *seed)
	}
	fmt.Fprintf(e.stderr, "comparing pairs of %d records...\n", len(recs))
	var model *match.Model
	if *labelled {
		var err error
		if model, err = eval.EstimateLabelled(recs, same, *seed, source); err != nil {
			return err
		}
	} else {
		var st match.Stats
		var err error
		if model, st, err = eval.EstimateEM(recs, *seed, source); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "EM: %.0f candidate pairs, %.0f expected matches, %d iterations\n", st.Pairs, st.Matches, st.Iterations)
	}
	switch {
	case *out == "-" || (*out == "" && *data == ""):
		_, err := e.stdout.Write(model.Marshal())
		return err
	case *out == "":
		if err := match.SaveModel(*data, model); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s/%s (restart the node to use it)\n", *data, match.ModelFile)
	default:
		if err := durable.WriteFile(*out, model.Marshal(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	}
	return model.Table(e.stdout)
}

func runModelShow(e *env, args []string) error {
	fs := flags(e, "model show", "model show [--data DIR | FILE]", `
Prints a match model: its source, prior, and for each comparison level m,
u and the weight log2(m/u) it adds to a pair's match weight. With --data,
the model the node in DIR scores with (the default model when it has
none); with neither, the default model.`)
	data := fs.String("data", "", "node data directory")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	var model *match.Model
	var err error
	switch {
	case fs.NArg() > 1 || (fs.NArg() == 1 && *data != ""):
		return usageErr("model show: give --data DIR or one FILE, not both")
	case fs.NArg() == 1:
		b, rerr := os.ReadFile(fs.Arg(0))
		if rerr != nil {
			return fedmatch.E("model.Show", fedmatch.NotFound, "%w", rerr)
		}
		model, err = match.ParseModel(b)
	case *data != "":
		model, err = match.LoadModel(*data)
	default:
		model = match.DefaultModel()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "source: %s\n", model.Source)
	return model.Table(e.stdout)
}
