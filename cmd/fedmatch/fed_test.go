package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
)

// testFed is the demo federation on an embedded NATS server run from its
// own generated configuration (TLS, an account per agency), for
// end-to-end tests: real certificates, signatures, OPA and stores.
type testFed struct {
	t         *testing.T
	ctx       context.Context
	e         *env
	root      string
	fedDir    string
	url       string
	conns     *agencyConns
	reqs      map[fedmatch.AgencyID]*node.Requester
	closeReqs []func() error
}

// mustTestFed mints the demo federation in a temporary folder and starts
// an embedded NATS server; everything stops when the test ends.
func mustTestFed(t *testing.T) *testFed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, _ := testEnv(t)
	root := t.TempDir()
	f := &testFed{t: t, ctx: ctx, e: e, root: root, fedDir: filepath.Join(root, "federation"), reqs: map[fedmatch.AgencyID]*node.Requester{}}
	require_True(t, initFederation(f.fedDir, certs.InitOptions{Roster: demoRoster()}, "") == nil, "initFederation")
	srv, err := bus.RunEmbedded(bus.EmbeddedOptions{ConfigFile: certs.NATSConfPath(f.fedDir)})
	require_True(t, err == nil, "RunEmbedded: %v", err)
	t.Cleanup(srv.Shutdown)
	f.url, f.conns = srv.ClientURL(), newAgencyConns(srv.ClientURL(), f.fedDir, e.log)
	t.Cleanup(f.conns.Close)
	return f
}

// conn is agency's NATS connection.
func (f *testFed) conn(a fedmatch.AgencyID) *nats.Conn {
	f.t.Helper()
	nc, err := f.conns.get(a)
	require_True(f.t, err == nil, "connect %s: %v", a, err)
	return nc
}

// dataDir is agency's node data directory.
func (f *testFed) dataDir(a fedmatch.AgencyID) string { return filepath.Join(f.root, string(a)) }

// node imports recs (nil: the demo's scripted records) and starts
// agency's node; adjust may change its options first.
func (f *testFed) node(a fedmatch.AgencyID, recs []*fedmatch.Record, adjust func(*nodeOptions)) *runningNode {
	f.t.Helper()
	if recs == nil {
		recs = scripted(time.Now())[a]
	}
	require_True(f.t, importRecords(f.dataDir(a), recs) == nil, "import %s", a)
	return f.start(a, adjust)
}

// start starts agency's node on the records it already holds.
func (f *testFed) start(a fedmatch.AgencyID, adjust func(*nodeOptions)) *runningNode {
	f.t.Helper()
	o := nodeOptions{FedDir: f.fedDir, DataDir: f.dataDir(a), Agency: a, NC: f.conn(a), Log: f.e.log}
	if adjust != nil {
		adjust(&o)
	}
	n, err := startNode(f.ctx, o)
	require_True(f.t, err == nil, "startNode(%s): %v", a, err)
	return n
}

// broker starts a broker, keeping its audit log in the federation's
// folder; stop (also run when the test ends) stops it.
func (f *testFed) broker() (stop func()) {
	f.t.Helper()
	return f.brokerWith(nil)
}

// brokerWith is broker with its options adjusted first.
func (f *testFed) brokerWith(adjust func(*brokerOptions)) (stop func()) {
	f.t.Helper()
	nc, err := connectBroker(f.url, f.fedDir, f.e.log)
	require_True(f.t, err == nil, "connect broker: %v", err)
	f.t.Cleanup(nc.Close)
	o := brokerOptions{FedDir: f.fedDir, AuditPath: filepath.Join(f.root, "broker-audit.jsonl"), Timeout: 5 * time.Second, NC: nc, Log: f.e.log}
	if adjust != nil {
		adjust(&o)
	}
	stop, err = startBroker(f.ctx, o)
	require_True(f.t, err == nil, "startBroker: %v", err)
	f.t.Cleanup(stop)
	return stop
}

// requester is agency's requester.
func (f *testFed) requester(a fedmatch.AgencyID) *node.Requester {
	f.t.Helper()
	if r := f.reqs[a]; r != nil {
		return r
	}
	r, closeLog, err := newRequester(f.fedDir, a, f.conn(a), requestsLog(f.root, a))
	require_True(f.t, err == nil, "newRequester(%s): %v", a, err)
	f.t.Cleanup(func() { closeLog() })
	f.reqs[a], f.closeReqs = r, append(f.closeReqs, closeLog)
	return r
}

// editablePolicies copies the built-in policies into a folder the test may
// edit, and returns it with the node option that watches it.
func (f *testFed) editablePolicies() (dir string, watch func(*nodeOptions)) {
	f.t.Helper()
	dir = filepath.Join(f.root, "policies")
	require_True(f.t, os.CopyFS(dir, policies.FS) == nil, "copy policies")
	return dir, func(o *nodeOptions) {
		o.Policies, o.Source, o.Watch = os.DirFS(dir), policy.DirSource(os.DirFS(dir)), 10*time.Millisecond
	}
}
