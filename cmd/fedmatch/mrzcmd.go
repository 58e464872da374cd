package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match/mrz"
)

func runMRZ(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "mrz", []subcommand{
		{"parse", "parse an ICAO 9303 machine-readable zone (TD1, TD2, TD3) and verify its check digits", runMRZParse},
	}, args)
}

func runMRZParse(e *env, args []string) error {
	fs := flags(e, "mrz parse", "mrz parse [--lenient] FILE|-", `
Parses the machine-readable zone in FILE (or standard input, -): its two
or three lines, TD1 (ID card, 3×30), TD2 (2×36) or TD3 (passport, 2×44).
Prints the fields as JSON, with the dates of birth and expiry also as
calendar dates and the probe 'fedmatch query --mrz' would send. Every
check digit is verified; a bad one is an error naming the field, and the
exit status is non-zero. With --lenient, a field whose check digit fails
is corrected if exactly one substitution of characters OCR confuses
(O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/0) makes it pass; corrections are listed.`)
	lenient := fs.Bool("lenient", false, "correct OCR-confusable characters when that makes a check digit pass")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("mrz parse: exactly one FILE (or -) is required")
	}
	m, err := readMRZ(fs.Arg(0), *lenient)
	if err != nil {
		return err
	}
	now := time.Now()
	out := struct {
		*mrz.MRZ
		Birth  fedmatch.Date  `json:"birth"`
		Expiry fedmatch.Date  `json:"expiry"`
		Probe  fedmatch.Probe `json:"probe"`
	}{m, m.Birth(now), m.Expiry(now), m.Probe(now)}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// readMRZ reads and parses the MRZ in file, or standard input for "-".
func readMRZ(file string, lenient bool) (*mrz.MRZ, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fedmatch.E("mrz.Read", fedmatch.NotFound, "%w", err)
	}
	m, err := mrz.Parse(string(b), mrz.Options{Lenient: lenient})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}
