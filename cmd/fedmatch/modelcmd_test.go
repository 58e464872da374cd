package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
)

// writeRecords writes recs as a JSON Lines file for `node import`.
func writeRecords(t *testing.T, recs []*fedmatch.Record) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range recs {
		require_True(t, enc.Encode(r) == nil, "encode")
	}
	p := filepath.Join(t.TempDir(), "records.jsonl")
	require_True(t, os.WriteFile(p, b.Bytes(), 0o600) == nil, "write")
	return p
}

// TestRun_ModelEstimate: a node whose records hold duplicates gets a model
// estimated by EM into its data directory, which LoadModel then returns;
// a node of distinct people is refused with a clear error and keeps the
// default; labelled synthetic pairs give a valid model file.
func TestRun_ModelEstimate(t *testing.T) {
	dups, _ := synth.Twice(1500, 7)
	data := t.TempDir()
	out, err := runOut(t, "node", "import", "--data", data, writeRecords(t, dups))
	require_True(t, err == nil, "import: %v\n%s", err, out)
	out, err = runOut(t, "model", "estimate", "--data", data)
	require_True(t, err == nil && strings.Contains(out, "model.json"), "estimate: %v\n%s", err, out)
	m, err := match.LoadModel(data)
	require_True(t, err == nil && strings.Contains(m.Source, "EM over"), "LoadModel: %v (%+v)", err, m)
	out, err = runOut(t, "model", "show", "--data", data)
	require_True(t, err == nil && strings.Contains(out, "date_of_birth") && strings.Contains(out, "EM over"), "show: %v\n%s", err, out)

	g := synth.New(3)
	var distinct []*fedmatch.Record
	for i := range 3000 {
		distinct = append(distinct, g.Record(fmt.Sprintf("d%d", i), g.Person(), 2026))
	}
	data2 := t.TempDir()
	out, err = runOut(t, "node", "import", "--data", data2, writeRecords(t, distinct))
	require_True(t, err == nil, "import: %v\n%s", err, out)
	_, err = runOut(t, "model", "estimate", "--data", data2)
	require_True(t, fedmatch.IsCode(err, fedmatch.Invalid) && strings.Contains(err.Error(), "duplicates"), "distinct people: %v", err)
	_, statErr := os.Stat(filepath.Join(data2, match.ModelFile))
	require_True(t, os.IsNotExist(statErr), "a refused estimate wrote a model")

	file := filepath.Join(t.TempDir(), "m.json")
	out, err = runOut(t, "model", "estimate", "--synthetic", "2000", "--labelled", "--out", file)
	require_True(t, err == nil, "labelled: %v\n%s", err, out)
	b, _ := os.ReadFile(file)
	_, err = match.ParseModel(b)
	require_True(t, err == nil, "labelled model: %v", err)

	_, err = runOut(t, "model", "estimate", "--data", data, "--labelled")
	require_True(t, err != nil && strings.Contains(err.Error(), "labelled"), "--labelled with --data: %v", err)
}
