package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/calib"
)

const fvc = "../../../shared/data/biometrics/fvc2002-iso"

// TestRun_EvalFingerprints: the evaluation ends with its summary line,
// whose mean EER on FVC2002 meets the 5 % target; a folder without
// templates is a clear NotFound.
func TestRun_EvalFingerprints(t *testing.T) {
	out, err := runOut(t, "eval", "fingerprints", "--dir", fvc)
	require_True(t, err == nil, "eval fingerprints: %v\n%s", err, out)
	m := regexp.MustCompile(`(?m)^fingerprint eer ([0-9.]+) cmp_per_s ([0-9]+)\n\z`).FindStringSubmatch(out)
	require_True(t, m != nil, "no summary line last:\n%s", out)
	eer, _ := strconv.ParseFloat(m[1], 64)
	require_True(t, eer > 0 && eer <= 0.05, "mean EER %v", eer)
	_, err = runOut(t, "eval", "fingerprints", "--dir", t.TempDir())
	require_True(t, fedmatch.IsCode(err, fedmatch.NotFound), "an empty folder: %v", err)
}

// TestRun_ModelFingerprints: the calibration written parses, resolves
// three decades from FVC2002's impostors, and is the one shipped: a
// change to the matcher that moves its scores must refit it.
func TestRun_ModelFingerprints(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cal.json")
	out, err := runOut(t, "model", "fingerprints", "--dir", fvc, "--out", file)
	require_True(t, err == nil, "model fingerprints: %v\n%s", err, out)
	b, err := os.ReadFile(file)
	require_True(t, err == nil, "read: %v", err)
	c, err := calib.Parse(b)
	require_True(t, err == nil && len(c.Raw) == 3, "calibration: %v %+v", err, c)
	shipped, err := os.ReadFile("../../node/finger/calibration.json")
	require_True(t, err == nil && bytes.Equal(shipped, b), "node/finger/calibration.json is stale (%v): refit it with\n  fedmatch model fingerprints --dir %s --out node/finger/calibration.json", err, fvc[6:])
}

// TestRun_EvalBiometrics: a small run reports both modalities and ends
// with the summary line, its rates fractions.
func TestRun_EvalBiometrics(t *testing.T) {
	out, err := runOut(t, "eval", "biometrics", "--dir", fvc, "--fingers", "10", "--tenprints", "50", "--faces", "3000", "--face-probes", "50", "--exact", "10")
	require_True(t, err == nil, "eval biometrics: %v\n%s", err, out)
	m := regexp.MustCompile(`(?m)^fingerprint eer ([0-9.]+) fmr1e-4_fnmr ([0-9.]+) cmp_per_s [0-9]+ face rank1 ([0-9.]+) search_ms_1m [0-9.]+\n\z`).FindStringSubmatch(out)
	require_True(t, m != nil, "no summary line last:\n%s", out)
	for _, x := range m[1:] {
		v, _ := strconv.ParseFloat(x, 64)
		require_True(t, v >= 0 && v <= 1, "rate %v is not a fraction", v)
	}
	rank1, _ := strconv.ParseFloat(m[3], 64)
	require_True(t, rank1 >= 0.9, "face rank-1 %v", rank1)
	require_True(t, regexp.MustCompile(`fingerprints, synthetic`).MatchString(out) && regexp.MustCompile(`fingerprints 1:N.*\n  rank-1 1.0000`).MatchString(out) && regexp.MustCompile(`faces, synthetic`).MatchString(out), "a modality is missing:\n%s", out)
}
