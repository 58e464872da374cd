package match_test

import (
	"os"
	"slices"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/node/match"
)

func TestICAO(t *testing.T) {
	for in, want := range map[string]string{
		"Müller":       "MUELLER",
		"Øre":          "OERE",
		"Straße":       "STRASSE",
		"Åsa Ödegård":  "AASA OEDEGAARD",
		"José-María":   "JOSE MARIA",
		"Иванов":       "IVANOV",
		"Щукина":       "SHCHUKINA",
		"Юрьев":        "IUREV",
		"Παπαδόπουλος": "PAPADOPOULOS",
		"Þórsdóttir":   "THORSDOTTIR",
	} {
		if got := match.ICAO(in); got != want {
			t.Errorf("ICAO(%q) = %q, want %q", in, got, want)
		}
	}
	if got := match.Forms("Müller"); !slices.Equal(got, []string{"MULLER", "MUELLER"}) {
		t.Errorf("Forms(Müller) = %v", got)
	}
	if got := match.Forms("Smith"); !slices.Equal(got, []string{"SMITH"}) {
		t.Errorf("Forms(Smith) = %v", got)
	}
}

// TestMatcher_ICAOForms: a probe typed from an MRZ (MUELLER) meets a record
// written with the umlaut (Müller), and the reverse, by index and by score.
func TestMatcher_ICAOForms(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	for _, tc := range []struct{ rec, probe string }{{"Müller", "MUELLER"}, {"MUELLER", "Müller"}, {"Иванов", "IVANOV"}} {
		r := &fedmatch.Record{Surname: tc.rec, GivenNames: "Anna", DateOfBirth: "1979-05-17"}
		p := &fedmatch.Probe{Surname: tc.probe, GivenNames: "Anna", DateOfBirth: "1979-05-17"}
		shared := false
		rk := m.RecordKeys(r)
		for _, k := range m.ProbeKeys(p) {
			shared = shared || slices.Contains(rk, k)
		}
		s, ok := m.Score(p, r)
		if !shared || !ok || s.Score < 0.99 {
			t.Errorf("record %q, probe %q: shared key %v, score %.3f", tc.rec, tc.probe, shared, s.Score)
		}
	}
}

// TestCrossScript_Russian measures Latin names against their Cyrillic
// forms from Wikidata (../shared/data/names, CC0) and holds the measured
// floor (recall 0.85 at a 0.1 % false-match rate).
func TestCrossScript_Russian(t *testing.T) {
	f, err := os.Open("../../../shared/data/names/wd_russian_20.tsv")
	if err != nil {
		t.Fatalf("shared data beside the repository: %v", err)
	}
	defer f.Close()
	pairs, err := eval.ReadNamePairs(f)
	if err != nil {
		t.Fatal(err)
	}
	res := eval.Names(pairs, match.NameSimilarity, 0.001)
	t.Logf("Russian: %s", res)
	if res.Recall < 0.85 {
		t.Fatalf("cross-script recall %.4f fell below the measured floor 0.85", res.Recall)
	}
}
