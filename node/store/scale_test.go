package store_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

// BenchmarkQuery_Scale is one biographic probe against a node holding
// 10k, 100k and 1M synthetic records on one core: candidates by index,
// then scores, as a node matches. It reports heap bytes per record held
// (records and indexes) and candidates per probe.
func BenchmarkQuery_Scale(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			recs, pool := synth.Federation(3, []fedmatch.AgencyID{"gb-home-office"}, n, 2026)
			m := match.New(match.DefaultConfig(), nil)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			st, err := store.NewMemory(m)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Add(recs["gb-home-office"]); err != nil {
				b.Fatal(err)
			}
			recs = nil
			runtime.GC()
			runtime.ReadMemStats(&after)
			g := synth.New(11)
			probes := make([]fedmatch.Probe, 1024)
			for i := range probes {
				if i%2 == 0 {
					probes[i] = pool[(i*7919)%len(pool)].Probe() // held
				} else {
					p := g.Person()
					probes[i] = p.Probe() // not held
				}
			}
			cats := fedmatch.Categories()
			now := time.Now()
			cands := 0
			b.ResetTimer()
			i := 0
			for b.Loop() {
				p := &probes[i%len(probes)]
				i++
				_, n, _ := st.Search(m.Prepare(p), cats, now, 0)
				cands += n
			}
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/record")
			b.ReportMetric(float64(cands)/float64(i), "candidates/probe")
			runtime.KeepAlive(st)
		})
	}
}
