package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/finger"
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
	c, err := finger.ParseCalibration(b)
	require_True(t, err == nil && len(c.Raw) == 3, "calibration: %v %+v", err, c)
	shipped, err := os.ReadFile("../../node/finger/calibration.json")
	require_True(t, err == nil && bytes.Equal(shipped, b), "node/finger/calibration.json is stale (%v): refit it with\n  fedmatch model fingerprints --dir %s --out node/finger/calibration.json", err, fvc[6:])
}
