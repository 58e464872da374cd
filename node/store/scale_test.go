package store_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

// BenchmarkQuery_Scale is one biographic probe against a node holding
// 10k, 100k and 1M synthetic records on one core: candidates by index,
// then scores, as a node matches. Half the probes are people the node
// holds, as another agency records them (synth.Variant: typos, other
// scripts, swapped names and dates, partial dates), half are not. It
// reports heap bytes per record held (records and indexes), candidates
// per probe, and for the held half the share whose record blocking
// reached (blocking-recall) and the matcher reported (match-recall), and
// what importing cost per record (import-ns/record: indexing it).
func BenchmarkQuery_Scale(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			recs, pool := synth.Federation(3, []fedmatch.AgencyID{"gb-home-office"}, n, 2026)
			m := match.New(match.DefaultConfig(), nil)
			now := time.Now()
			retained := map[string]bool{} // a record past retention is rightly never found
			for _, r := range recs["gb-home-office"] {
				retained[r.ID] = r.Retained(now)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			st, err := store.NewMemory(m)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if _, err := st.Add(recs["gb-home-office"]); err != nil {
				b.Fatal(err)
			}
			imported := time.Since(t0)
			recs = nil
			runtime.GC()
			runtime.ReadMemStats(&after)
			g := synth.New(11)
			probes := make([]fedmatch.Probe, 1024)
			held := map[int]string{} // probe -> the id of its person's record
			for i := range probes {
				if i%2 == 0 {
					j := (i * 7919) % len(pool)
					probes[i] = g.Variant(pool[j])
					if id := fmt.Sprintf("GB-%07d", j); retained[id] {
						held[i] = id
					}
				} else {
					p := g.Person()
					probes[i] = p.Probe() // not held
				}
			}
			cats := fedmatch.Categories()
			cands := 0
			b.ResetTimer()
			i := 0
			var took []time.Duration
			for b.Loop() {
				p := &probes[i%len(probes)]
				i++
				t0 := time.Now()
				_, n, _ := st.Search(m.Prepare(p), cats, now, 0)
				took = append(took, time.Since(t0))
				cands += n
			}
			b.StopTimer()
			all := match.New(match.Config{}, nil) // floor 0: every candidate
			blocked, matched := 0, 0
			for i, id := range held {
				found, _, _ := st.Search(all.Prepare(&probes[i]), cats, now, 0)
				blocked += hasRecord(found, id)
				found, _, _ = st.Search(m.Prepare(&probes[i]), cats, now, 0)
				matched += hasRecord(found, id)
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(blocked)/float64(len(held)), "blocking-recall")
			b.ReportMetric(float64(matched)/float64(len(held)), "match-recall")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/record")
			b.ReportMetric(float64(cands)/float64(i), "candidates/probe")
			b.ReportMetric(float64(imported.Nanoseconds())/float64(n), "import-ns/record")
			runtime.KeepAlive(st)
		})
	}
}

func hasRecord(ms []fedmatch.Match, id string) int {
	for _, m := range ms {
		if m.Record.ID == id {
			return 1
		}
	}
	return 0
}
