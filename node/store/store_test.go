package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/biometric"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

const good = `{"id":"r1","category":"immigration-offender","collected_at":"2024-01-10","retention_until":"2030-01-10","surname":"Okafor","given_names":"Chidi","date_of_birth":"1984-02-29"}
{"id":"r2","category":"arrest-biometrics","collected_at":"2020-01-10","retention_until":"2023-01-10","surname":"Okafor","date_of_birth":"1984-02-29"}

{"id":"r3","category":"false-document","collected_at":"2024-01-10","retention_until":"2030-01-10","surname":"Novak","documents":[{"number":"X123","issuing_state":"CZE","status":"fraudulent"}]}
`

func MustOpen(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	s, err := store.Open(dir, match.New(match.DefaultConfig(), nil), nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

func TestStore_ImportSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	n, err := s.Import(strings.NewReader(good))
	if err != nil || n != 3 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	s2 := MustOpen(t, dir)
	if s2.Len() != 3 {
		t.Fatalf("after reopen Len = %d, want 3", s2.Len())
	}
	r, err := s2.Get("r3")
	if err != nil || r.Documents[0].Status != "fraudulent" {
		t.Fatalf("Get(r3) = %+v, %v", r, err)
	}
}

func TestStore_ImportAllOrNothing(t *testing.T) {
	tests := []struct {
		name  string
		input string
		code  fedmatch.Code
		line  string
	}{
		{"bad json", good + "{\"id\":\n", fedmatch.Malformed, "line 5"},
		{"unknown field", `{"id":"x","category":"false-document","collected_at":"2024-01-10","retention_untill":"2030-01-10","surname":"A"}`, fedmatch.Malformed, "line 1"},
		{"bad category", strings.Replace(good, "false-document", "shoplifter", 1), fedmatch.Malformed, "line 4"},
		{"partial collected_at", strings.Replace(good, `"collected_at":"2024-01-10"`, `"collected_at":"2024"`, 1), fedmatch.Malformed, "line 1"},
		{"duplicate id", good + good, fedmatch.Malformed, "line 5"},
		{"retention before collection", strings.Replace(good, `"retention_until":"2030-01-10"`, `"retention_until":"2000-01-10"`, 1), fedmatch.Malformed, "line 1"},
		{"extension without reason", strings.Replace(good, `"retention_until":"2023-01-10"`, `"retention_until":"2023-01-10","extended_until":"2025-01-10"`, 1), fedmatch.Malformed, "line 2"},
		{"too long", strings.Repeat(" ", store.MaxLineBytes+10), fedmatch.TooLarge, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := MustOpen(t, dir)
			_, err := s.Import(strings.NewReader(tc.input))
			if !fedmatch.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.line) {
				t.Fatalf("Import: %v, want %v naming %q", err, tc.code, tc.line)
			}
			if s.Len() != 0 {
				t.Fatalf("Len = %d after a refused import", s.Len())
			}
			segs, _ := os.ReadDir(filepath.Join(dir, store.SegmentDir))
			if len(segs) != 0 {
				t.Fatalf("refused import left %d files", len(segs))
			}
		})
	}
}

func TestStore_ImportExisting(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if _, err := s.Import(strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	more := `{"id":"r9","category":"false-document","collected_at":"2024-01-10","retention_until":"2030-01-10","surname":"New"}` + "\n" +
		`{"id":"r1","category":"false-document","collected_at":"2024-01-10","retention_until":"2030-01-10","surname":"Dup"}`
	if _, err := s.Import(strings.NewReader(more)); !fedmatch.IsCode(err, fedmatch.Exists) {
		t.Fatalf("Import: %v, want exists", err)
	}
	if _, err := s.Get("r9"); !fedmatch.IsCode(err, fedmatch.NotFound) {
		t.Fatalf("half-applied import: r9 %v", err)
	}
	if MustOpen(t, dir).Len() != 3 {
		t.Fatal("refused import reached disk")
	}
}

func TestStore_Search(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	if _, err := s.Import(strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	q := match.New(match.Config{}, nil).Prepare(&fedmatch.Probe{Surname: "OKAFOR", DateOfBirth: "1984-02-29"})
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	all := fedmatch.Categories()
	ids := func(ms []fedmatch.Match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Record.ID)
		}
		return out
	}

	got, n, err := s.Search(q, all, now, 0)
	if err != nil || n != 1 || !slices.Equal(ids(got), []string{"r1"}) {
		t.Fatalf("Search = %v (%d scored), %v; want r1 only (r2 is past retention)", ids(got), n, err)
	}
	if got, _, _ = s.Search(q, all, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 0); len(got) != 2 {
		t.Fatalf("before r2's retention ends: %v, want 2", ids(got))
	}
	if got, _, _ = s.Search(q, all, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 1); len(got) != 1 {
		t.Fatalf("limit 1: %v, want 1", ids(got))
	}
	if got, _, _ = s.Search(q, []fedmatch.Category{fedmatch.FalseDocument}, now, 0); len(got) != 0 {
		t.Fatalf("category filter: %v, want none", ids(got))
	}
	// Callers get copies: changing one changes nothing stored.
	got, _, _ = s.Search(q, all, now, 0)
	got[0].Record.Surname = "Changed"
	if r, _ := s.Get("r1"); r.Surname != "Okafor" {
		t.Fatal("a returned record aliased the stored one")
	}
}

// keysOf indexes each record under the keys its surname lists and
// matches every candidate, so tests see exactly what blocking offers.
type keysOf []string

func (keysOf) Index(r *fedmatch.Record) fedmatch.Indexed {
	return fedmatch.Indexed{Keys: strings.Split(r.Surname, " ")}
}
func (k keysOf) Keys() []string { return k }
func (keysOf) Score(r *fedmatch.Record, _ any) (fedmatch.Match, bool) {
	return fedmatch.Match{Record: r, Score: 1}, true
}

func TestStore_SearchSkipsCommonKeys(t *testing.T) {
	st, err := store.NewMemory(keysOf{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*fedmatch.Record
	for i := range store.MaxBucket + 1 {
		recs = append(recs, &fedmatch.Record{ID: fmt.Sprintf("c%d", i), Category: fedmatch.FalseDocument,
			CollectedAt: "2024-01-01", RetentionUntil: "2099-01-01", Surname: "common"})
	}
	recs = append(recs, &fedmatch.Record{ID: "r1", Category: fedmatch.FalseDocument, CollectedAt: "2024-01-01", RetentionUntil: "2099-01-01", Surname: "common rare"})
	// In two imports: a key's size adds up across them.
	for _, part := range [][]*fedmatch.Record{recs[:50], recs[50:]} {
		if _, err := st.Add(part); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	got, _, _ := st.Search(keysOf{"common", "rare"}, fedmatch.Categories(), now, 0)
	if len(got) != 1 || got[0].Record.ID != "r1" {
		t.Fatalf("with a selective key: %d candidates, want only r1", len(got))
	}
	got, _, _ = st.Search(keysOf{"common", "nothing"}, fedmatch.Categories(), now, 0)
	if len(got) != store.MaxBucket+2 {
		t.Fatalf("only a common key: %d candidates, want all %d", len(got), store.MaxBucket+2)
	}
}

// TestStore_Biometrics: templates are filed when records are imported and
// again when the store is reopened; a biometric search keeps only
// retained records of the permitted categories; a record with a bad
// template is refused and nothing of its import is kept.
func TestStore_Biometrics(t *testing.T) {
	tpl, err := os.ReadFile("../../../shared/data/biometrics/fvc2002-iso/DB1_B/101_1.iso")
	if err != nil {
		t.Fatalf("shared data beside the repository: %v", err)
	}
	probeTpl, _ := os.ReadFile("../../../shared/data/biometrics/fvc2002-iso/DB1_B/101_3.iso")
	open := func(dir string) *store.Store {
		bio, err := biometric.New(biometric.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(dir, match.New(match.DefaultConfig(), nil), nil, store.WithBiometrics(bio))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rec := func(id string, cat fedmatch.Category, until fedmatch.Date, tpl []byte) *fedmatch.Record {
		return &fedmatch.Record{ID: id, Category: cat, CollectedAt: "2020-01-01", RetentionUntil: until,
			Fingerprints: []fedmatch.Fingerprint{{Position: 1, Template: tpl}}}
	}
	dir := t.TempDir()
	s := open(dir)
	if _, err := s.Add([]*fedmatch.Record{rec("kept", fedmatch.ImmigrationOffender, "2099-01-01", tpl), rec("expired", fedmatch.ImmigrationOffender, "2021-01-01", tpl),
		rec("other-category", fedmatch.ArrestBiometrics, "2099-01-01", tpl)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Add([]*fedmatch.Record{rec("fine", fedmatch.ImmigrationOffender, "2099-01-01", tpl), rec("bad", fedmatch.ImmigrationOffender, "2099-01-01", tpl[:50])})
	if !fedmatch.IsCode(err, fedmatch.Malformed) || !strings.Contains(err.Error(), `"bad"`) || s.Len() != 3 {
		t.Fatalf("a bad template: %v, %d held; want malformed naming the record, 3 held", err, s.Len())
	}
	p := &fedmatch.Probe{Fingerprints: []fedmatch.Fingerprint{{Position: 1, Template: probeTpl}}}
	for _, st := range []*store.Store{s, open(dir)} {
		got, err := st.SearchBiometric(p, []fedmatch.Category{fedmatch.ImmigrationOffender}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 10)
		if err != nil || len(got) != 1 || got[0].Record.ID != "kept" || got[0].Kind != fedmatch.KindFingerprint || got[0].Decades < 2 {
			t.Fatalf("SearchBiometric: %+v, %v; want only the retained record of the permitted category", got, err)
		}
	}
}
