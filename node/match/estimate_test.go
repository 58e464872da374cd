package match_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
)

// distinctPeople draws n synthetic people, each recorded once.
func distinctPeople(n int) []*fedmatch.Record {
	g := synth.New(5)
	var recs []*fedmatch.Record
	for i := range n {
		recs = append(recs, g.Record(fmt.Sprintf("p%d", i), g.Person(), 2026))
	}
	return recs
}

// TestEstimate: EM, without labels, recovers m close to what the labels
// say, and refuses records that hold no duplicates.
func TestEstimate(t *testing.T) {
	recs, who := synth.Twice(3000, 5)
	em, st, err := eval.EstimateEM(recs, 1, "test")
	if err != nil {
		t.Fatal(err)
	}
	labelled, err := eval.EstimateLabelled(recs, func(i, j int) bool { return who[i] == who[j] }, 1, "test")
	if err != nil {
		t.Fatal(err)
	}
	if st.Matches < 2700 || st.Matches > 3300 {
		t.Errorf("EM expects %.0f matches among the candidates; 3000 people are recorded twice", st.Matches)
	}
	for c, cmp := range labelled.Comparisons {
		for l := range cmp.Levels {
			if d := math.Abs(cmp.M[l] - em.Comparisons[c].M[l]); d > 0.05 {
				t.Errorf("%s %s: EM m %.3f, labelled m %.3f", cmp.Name, cmp.Levels[l], em.Comparisons[c].M[l], cmp.M[l])
			}
		}
	}

	distinct := distinctPeople(3000)
	if _, _, err := eval.EstimateEM(distinct, 1, "test"); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Fatalf("records of distinct people: %v, want Invalid", err)
	}
}

// TestModel_Parse: the default model parses, and a model that does not
// fit the code's comparisons is refused.
func TestModel_Parse(t *testing.T) {
	def := match.DefaultModel()
	for _, tc := range []struct {
		name string
		edit func(m *match.Model)
	}{
		{"prior not a probability", func(m *match.Model) { m.Prior = 1 }},
		{"comparison missing", func(m *match.Model) { m.Comparisons = m.Comparisons[1:] }},
		{"no comparisons", func(m *match.Model) { m.Comparisons = nil }},
		{"two comparisons missing", func(m *match.Model) { m.Comparisons = m.Comparisons[:match.CmpAddress-1] }},
		{"level renamed", func(m *match.Model) { m.Comparisons[0].Levels = []string{"a", "b", "c", "d"} }},
		{"m does not sum to 1", func(m *match.Model) { m.Comparisons[0].M = []float64{0.5, 0.5, 0.5, 0.5} }},
		{"u of 0", func(m *match.Model) { m.Comparisons[0].U = []float64{0, 0.5, 0.25, 0.25} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := match.ParseModel(def.Marshal())
			tc.edit(m)
			if _, err := match.ParseModel(m.Marshal()); !fedmatch.IsCode(err, fedmatch.Invalid) {
				t.Fatalf("ParseModel: %v, want Invalid", err)
			}
		})
	}
	t.Run("saved before address", func(t *testing.T) {
		m, _ := match.ParseModel(def.Marshal())
		m.Comparisons = m.Comparisons[:match.CmpAddress]
		old, err := match.ParseModel(m.Marshal())
		if err != nil {
			t.Fatalf("a model without the appended address comparison: %v, want it read", err)
		}
		var v match.Vector
		for i := range v {
			v[i] = match.Missing
		}
		w := old.Weight(v)
		for l := range match.ComparisonSpecs()[match.CmpAddress].Levels {
			v[match.CmpAddress] = int8(l)
			if got := old.Weight(v); got != w {
				t.Errorf("address level %d weighs %.2f bits; want nothing until estimated", l, got-w)
			}
		}
	})
	if _, err := match.ParseModel([]byte(`{"prior": 0.1, "extra": 1}`)); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Fatalf("unknown field: %v, want Malformed", err)
	}
}
