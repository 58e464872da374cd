package match_test

import (
	"bufio"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
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
	m := match.New(match.DefaultConfig())
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
// forms from Wikidata (../shared/data/names, CC0): the share of true pairs
// scoring above the threshold at which at most 0.1 % of shuffled pairs do.
func TestCrossScript_Russian(t *testing.T) {
	f, err := os.Open("../../../shared/data/names/wd_russian_20.tsv")
	if err != nil {
		t.Fatalf("shared data beside the repository: %v", err)
	}
	defer f.Close()
	var latin, native []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 2 {
			continue
		}
		latin = append(latin, strings.ToUpper(c[0]))
		native = append(native, strings.ReplaceAll(c[1], " ", ""))
	}
	sim := func(a, b string) float64 {
		best := 0.0
		for _, x := range match.Forms(a) {
			for _, y := range match.Forms(b) {
				best = max(best, match.JaroWinkler(x, y))
			}
		}
		return best
	}
	r := rand.New(rand.NewPCG(1, 2))
	var neg []float64
	for i := range latin {
		for range 10 {
			j := r.IntN(len(native))
			if j != i && latin[j] != latin[i] {
				neg = append(neg, sim(latin[i], native[j]))
			}
		}
	}
	slices.Sort(neg)
	thr := neg[len(neg)-len(neg)/1000-1] // 0.1 % of shuffled pairs score above
	hits := 0
	for i := range latin {
		if sim(latin[i], native[i]) > thr {
			hits++
		}
	}
	recall := float64(hits) / float64(len(latin))
	t.Logf("Russian: %d pairs, threshold %.3f (FMR 0.1%% on %d shuffled pairs), recall %.4f", len(latin), thr, len(neg), recall)
	if recall < 0.5 {
		t.Fatalf("cross-script recall %.4f fell below the measured floor 0.5", recall)
	}
}
