package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/node/store"
	"github.com/fedmatch/fedmatch/policies"
	"github.com/fedmatch/fedmatch/wire"
)

func runBench(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "bench", "bench [--records N] [--queries N] [--concurrency N]", `
Measures fedmatch on this machine. First the cost of each step (sign,
verify, policy decision, match, NATS round trip), then a federation of
three nodes holding --records synthetic records each, on an embedded NATS
server: end-to-end query latency (p50, p99) sequentially, queries per
second with --concurrency requesters, and the same match run in-process
against the same three stores without the federation, as a ratio.

Every query is real: signed, verified by the broker, by each node and by
the requester, decided by OPA, matched, signed back and audited (fsynced).`)
	records := fs.Int("records", 100_000, "synthetic records per node")
	queries := fs.Int("queries", 2000, "queries for the latency measurement")
	conc := fs.Int("concurrency", 16, "concurrent requesters for the throughput measurement")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *records < 100 || *queries < 10 || *conc < 1 {
		return usageErr("bench: --records >= 100, --queries >= 10, --concurrency >= 1")
	}
	out := e.stdout
	fmt.Fprintf(out, "fedmatch bench on %s/%s, %d CPUs, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	root, err := os.MkdirTemp("", "fedmatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	fedDir := filepath.Join(root, "federation")
	if err := initFederation(fedDir, certs.InitOptions{Roster: demoRoster()}, ""); err != nil {
		return err
	}
	if err := benchSteps(ctx, out, fedDir); err != nil {
		return err
	}

	// The federation.
	e.log = newLogger(e.stderr, "error")
	live := []fedmatch.AgencyID{gb, us, de}
	now := time.Now()
	fmt.Fprintf(e.stderr, "generating and loading %d records per node...\n", *records)
	loadStart := time.Now()
	recs, pool := synth.Federation(42, live, *records, now.Year())
	for _, a := range live {
		if err := importRecords(filepath.Join(root, string(a)), recs[a]); err != nil {
			return err
		}
	}
	recs = nil
	lf, err := startLocalFed(ctx, localOptions{FedDir: fedDir, Nodes: live, Timeout: 5 * time.Second, Log: e.log, Unlimited: true,
		DataDir: func(a fedmatch.AgencyID) string { return filepath.Join(root, string(a)) }})
	if err != nil {
		return err
	}
	defer lf.Close()
	stores := map[fedmatch.AgencyID]*store.Store{}
	for a, n := range lf.Nodes {
		stores[a] = n.Store
	}
	nc, err := lf.Conns.get(us)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "federation of 3 x %d records ready in %s\n", *records, time.Since(loadStart).Round(time.Millisecond))

	// Probes: half people some node holds (with a typo now and then), half strangers.
	g := synth.New(99)
	probes := make([]fedmatch.Probe, *queries)
	for i := range probes {
		if i%2 == 0 {
			p := pool[(i*7919)%len(pool)] // held by one, two or three agencies
			pr := p.Probe()
			if i%6 == 0 {
				pr.Surname = g.Misspell(pr.Surname)
			}
			probes[i] = pr
		} else {
			p := g.Person()
			probes[i] = p.Probe()
		}
	}
	req, _, err := newRequester(fedDir, us, nc, "")
	if err != nil {
		return err
	}
	ask := func(p fedmatch.Probe) (*fedmatch.Result, error) {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// US asks GB and DE under prum-border; GB under gb-us-2026 would do as well.
		return req.Ask(qctx, &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border",
			Targets: []fedmatch.AgencyID{gb, de}, Probe: p})
	}
	// Warm up.
	for _, p := range probes[:min(50, len(probes))] {
		if _, err := ask(p); err != nil {
			return err
		}
	}

	// Sequential latency.
	lat := make([]time.Duration, len(probes))
	hits := 0
	for i, p := range probes {
		t0 := time.Now()
		res, err := ask(p)
		lat[i] = time.Since(t0)
		if err != nil {
			return err
		}
		for _, nr := range res.Nodes {
			if nr.Status == fedmatch.StatusHit {
				hits++
			}
			if nr.Status != fedmatch.StatusHit && nr.Status != fedmatch.StatusNoHit {
				return fmt.Errorf("bench: node %s answered %s (%s)", nr.Agency, nr.Status, nr.Reason)
			}
		}
	}
	// Throughput with concurrent requesters.
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range *conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(probes)) {
					return
				}
				if _, err := ask(probes[i]); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	qps := float64(len(probes)) / time.Since(t0).Seconds()

	// The same match in-process: candidates and scores from the same two
	// stores, no tokens, policy, NATS or audit.
	m := match.New(match.DefaultConfig(), nil)
	cats := fedmatch.Categories()
	inproc := make([]time.Duration, len(probes))
	for i := range probes {
		t0 := time.Now()
		for _, a := range []fedmatch.AgencyID{gb, de} {
			stores[a].Search(m.Prepare(&probes[i]), cats, now, 0)
		}
		inproc[i] = time.Since(t0)
	}

	p50, p99 := pct(lat, 50), pct(lat, 99)
	i50, i99 := pct(inproc, 50), pct(inproc, 99)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "\nfederation: 3 nodes x %d records, US asks GB and DE, %d queries (%d hits), %d concurrent for throughput\n", *records, len(probes), hits, *conc)
	fmt.Fprintln(tw, "\tp50\tp99\tqueries/s\t")
	fmt.Fprintf(tw, "end to end (NATS, 2 nodes)\t%s\t%s\t%.0f\t\n", us3(p50), us3(p99), qps)
	fmt.Fprintf(tw, "same match in-process\t%s\t%s\t%.0f\t\n", us3(i50), us3(i99), float64(time.Second)/float64(mean(inproc)))
	fmt.Fprintf(tw, "ratio end-to-end / in-process\t%.1fx\t%.1fx\t\t\n", float64(p50)/float64(i50), float64(p99)/float64(i99))
	if err := tw.Flush(); err != nil {
		return err
	}
	if f := failures.Load(); f > 0 {
		return fmt.Errorf("bench: %d queries failed under concurrency", f)
	}
	return nil
}

// benchSteps prints the cost of each step, measured with testing.Benchmark.
func benchSteps(ctx context.Context, out interface{ Write([]byte) (int, error) }, fedDir string) error {
	trust, err := certs.NewLive(fedDir, nil)
	if err != nil {
		return err
	}
	signer, err := loadSigner(fedDir, gb, trust)
	if err != nil {
		return err
	}
	q := &wire.QueryRequest{Audience: trust.Roster().Audience(), Purpose: fedmatch.VisaApplication, Basis: "prum-border",
		Targets: []fedmatch.AgencyID{us}, Probe: fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}}
	tok, _, err := signer.SignQuery(q)
	if err != nil {
		return err
	}
	usSigner, err := loadSigner(fedDir, us, trust)
	if err != nil {
		return err
	}
	pol, err := policy.Load(ctx, policies.FS, us, nil)
	if err != nil {
		return err
	}
	in := &fedmatch.QueryInput{Request: fedmatch.RequestInfo{Requester: gb, Purpose: fedmatch.VisaApplication, Time: time.Now().Format(time.RFC3339)},
		Agreement: *trust.Roster().Agreement("prum-border")}
	m := match.New(match.DefaultConfig(), nil)
	rec := &fedmatch.Record{Surname: "Okafor", GivenNames: "Chidi Emeka", DateOfBirth: "1984-02-29"}
	probe := &fedmatch.Probe{Surname: "Okafer", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}
	// The round trip a broker makes to a node: over TLS, from the broker
	// account into the node's through its service export.
	srv, err := bus.RunEmbedded(bus.EmbeddedOptions{ConfigFile: certs.NATSConfPath(fedDir)})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	nc, err := connectAgency(srv.ClientURL(), fedDir, us, "bench-echo", nil)
	if err != nil {
		return err
	}
	defer nc.Close()
	bnc, err := connectBroker(srv.ClientURL(), fedDir, nil)
	if err != nil {
		return err
	}
	defer bnc.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := bus.Serve(sctx, nc, bus.ServiceConfig{Name: "bench-echo", Endpoints: []bus.Endpoint{{Name: "match",
		Subject: bus.NodeSubject(us, "match"), Handler: func(_ context.Context, p []byte) []byte { return p }}}}); err != nil {
		return err
	}
	fwd := &bus.Forwarder{NC: bnc}
	steps := []struct {
		name string
		f    func(b *testing.B)
	}{
		{"seal and sign query (HPKE, EdDSA JWS)", func(b *testing.B) {
			for b.Loop() {
				signer.SignQuery(q)
			}
		}},
		{"verify query (all checks)", func(b *testing.B) {
			for b.Loop() {
				wire.NewVerifier(trust).VerifyQuery([]byte(tok))
			}
		}},
		{"open query content (HPKE, node side)", func(b *testing.B) {
			c, err := wire.NewVerifier(trust).VerifyQuery([]byte(tok))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := usSigner.OpenQuery(c); err != nil {
					b.Fatal(err)
				}
			}
		}},
		{"policy decision (OPA, prepared)", func(b *testing.B) {
			for b.Loop() {
				pol.Decide(ctx, in)
			}
		}},
		{"match one candidate", func(b *testing.B) {
			q, fields := m.Prepare(probe), m.Index(rec).Fields
			for b.Loop() {
				q.Score(rec, fields)
			}
		}},
		{fmt.Sprintf("NATS round trip, broker to node (%d B, mTLS, account import)", len(tok)), func(b *testing.B) {
			for b.Loop() {
				fwd.Forward(ctx, us, "match", []byte(tok))
			}
		}},
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tper op\tallocs/op\t")
	for _, s := range steps {
		r := testing.Benchmark(s.f)
		fmt.Fprintf(tw, "%s\t%s\t%d\t\n", s.name, us3(time.Duration(r.NsPerOp())), r.AllocsPerOp())
	}
	return tw.Flush()
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func mean(d []time.Duration) time.Duration {
	var t time.Duration
	for _, x := range d {
		t += x
	}
	return t / time.Duration(len(d))
}

func us3(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}
