package eval_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

func TestScratch(t *testing.T) {
	f, _ := os.Open("../../../shared/data/febrl/dataset3.csv")
	rows, _ := eval.ReadFEBRL(f)
	records, probes := eval.Split(rows)
	m := match.New(match.DefaultConfig())
	st, _ := store.Open(t.TempDir(), m, nil)
	var recs []*fedmatch.Record
	byEnt := map[string]*fedmatch.Record{}
	for _, r := range records {
		recs = append(recs, r.Record)
		byEnt[r.Entity] = r.Record
	}
	st.Add(recs)
	lost, fps := 0, 0
	for _, p := range probes {
		pr := eval.Probe(p.Record)
		cands, _ := st.Candidates(m.ProbeKeys(&pr), fedmatch.Categories(), time.Now())
		org := byEnt[p.Entity]
		found := false
		for _, c := range cands {
			if c.ID == org.ID {
				found = true
			}
			s, ok := m.Score(&pr, c)
			if ok && s.Score >= 0.95 && c.ID != org.ID && fps < 12 {
				fps++
				fmt.Printf("FP %.3f %s probe %q %q %s %v | rec %q %q %s %v\n", s.Score, s.Kind, pr.Surname, pr.GivenNames, pr.DateOfBirth, pr.Documents, c.Surname, c.GivenNames, c.DateOfBirth, c.Documents)
			}
		}
		if !found && lost < 12 {
			lost++
			fmt.Printf("LOST probe %q %q %s %v | org %q %q %s %v\n", pr.Surname, pr.GivenNames, pr.DateOfBirth, pr.Documents, org.Surname, org.GivenNames, org.DateOfBirth, org.Documents)
		}
	}
}
