package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
	"github.com/fedmatch/fedmatch/broker"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/node/review"
	"github.com/fedmatch/fedmatch/node/store"
	"github.com/fedmatch/fedmatch/policies"
	"github.com/fedmatch/fedmatch/wire"
)

// Files inside a node's data directory.
const (
	secretFile = "node.secret"
	auditFile  = "audit.jsonl"
)

// nodeOptions is everything a node needs to start.
type nodeOptions struct {
	FedDir   string
	DataDir  string
	Agency   fedmatch.AgencyID
	Policies fs.FS // nil means the embedded policies
	// Source and Watch, when both set, re-read the policy at this
	// interval and swap in valid changes (hot reload).
	Source policy.Source
	Watch  time.Duration
	// Limits caps each requester's query rate; zero means the node's
	// defaults.
	Limits node.Limits
	// TrustInterval is how often the federation folder is re-read for a
	// changed roster or CRL; zero means defaultTrustInterval.
	TrustInterval time.Duration
	NC            *nats.Conn
	Log           *slog.Logger
}

// defaultTrustInterval is how often nodes and brokers re-read the roster
// and CRL: a revocation takes effect within it.
const defaultTrustInterval = time.Second

// nodeStatus is what a node's status endpoint answers.
type nodeStatus struct {
	Agency    fedmatch.AgencyID `json:"agency"`
	Records   int               `json:"records"`
	Model     string            `json:"model"` // where the match model came from
	Policy    policy.Status     `json:"policy"`
	StartedAt time.Time         `json:"started_at"`
}

// runningNode is a started node and what it holds open.
type runningNode struct {
	Node   *node.Node
	Store  *store.Store
	Policy *policy.Engine
	audit  *audit.Log
	stop   context.CancelFunc
}

// Close stops serving and closes the audit log.
func (r *runningNode) Close() {
	r.stop()
	r.audit.Close()
}

// startNode wires a node from its federation folder and data directory and
// serves it on NATS. A broken policy, key or store fails here, before any
// query is taken.
func startNode(ctx context.Context, o nodeOptions) (*runningNode, error) {
	const op = "node.Start"
	log := o.Log.With("node", o.Agency)
	trust, err := certs.NewLive(o.FedDir, log)
	if err != nil {
		return nil, err
	}
	signer, err := loadSigner(o.FedDir, o.Agency, trust)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	secret, err := loadSecret(o.DataDir)
	if err != nil {
		return nil, err
	}
	// The node scores with the model estimated from its own records
	// (`fedmatch model estimate --data DIR`), else the default.
	model, err := match.LoadModel(o.DataDir)
	if err != nil {
		return nil, err
	}
	log.Info("match model", "source", model.Source)
	m := match.New(match.DefaultConfig(), model)
	st, err := openStore(o.DataDir, m, log)
	if err != nil {
		return nil, err
	}
	pfs := o.Policies
	if pfs == nil {
		pfs = policies.FS
	}
	pol, err := policy.Load(ctx, pfs, o.Agency, log)
	if err != nil {
		return nil, err
	}
	// Quotas count today's requests; the audit log remembers them across
	// restarts, read in the same pass that verifies its chain.
	usage, now := node.NewUsage(), time.Now()
	al, err := audit.Open(filepath.Join(o.DataDir, auditFile), audit.Options{By: string(o.Agency), Key: signer.Key,
		Each: func(e *fedmatch.AuditEntry) { usage.SeedOne(now, e) }})
	if err != nil {
		return nil, err
	}
	cfg := node.DefaultConfig()
	cfg.Agency, cfg.Secret, cfg.Limits = o.Agency, secret, o.Limits // zero: node.New's defaults
	n, err := node.New(cfg, node.Deps{Keys: trust, Signer: signer,
		Store: st, Matcher: m, Policy: pol, Audit: al, Log: log, Usage: usage,
		Reviews: review.Open(filepath.Join(o.DataDir, review.File))})
	if err != nil {
		al.Close()
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	started := time.Now().UTC()
	status := func(context.Context, []byte) []byte {
		b, _ := json.Marshal(nodeStatus{Agency: o.Agency, Records: st.Len(), Model: model.Source, Policy: pol.Status(), StartedAt: started})
		return b
	}
	_, err = bus.Serve(sctx, o.NC, bus.ServiceConfig{
		Name: bus.ServiceName(o.Agency), Description: "fedmatch node of " + string(o.Agency), Log: log,
		Endpoints: []bus.Endpoint{
			{Name: "match", Subject: bus.NodeSubject(o.Agency, "match"), Queue: "fedmatch-node-" + string(o.Agency), Handler: n.HandleMatch},
			{Name: "disclose", Subject: bus.NodeSubject(o.Agency, "disclose"), Queue: "fedmatch-node-" + string(o.Agency), Handler: n.HandleDisclose},
			{Name: "status", Subject: bus.NodeSubject(o.Agency, "status"), Queue: "fedmatch-node-" + string(o.Agency), Handler: status},
		},
	})
	if err != nil {
		stop()
		al.Close()
		return nil, err
	}
	if o.Watch > 0 && o.Source != nil {
		go pol.Watch(sctx, o.Source, o.Watch)
	}
	go checkpoints(sctx, al, log)
	go trust.Watch(sctx.Done(), cmp.Or(o.TrustInterval, defaultTrustInterval))
	log.Info("node serving", "records", st.Len(), "policy", pol.Revision(), "subject", bus.NodeSubject(o.Agency, "match"))
	return &runningNode{Node: n, Store: st, Policy: pol, audit: al, stop: stop}, nil
}

// CheckpointInterval is how often a quiet audit log's newest entries are
// signed, so that few are ever protected by the hash chain alone.
const checkpointInterval = time.Minute

// checkpoints signs l's head every checkpointInterval until ctx ends.
func checkpoints(ctx context.Context, l *audit.Log, log *slog.Logger) {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Checkpoint(); err != nil {
				log.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// loadSecret reads the node's secret, creating it on first start.
func loadSecret(dir string) ([]byte, error) {
	const op = "node.Secret"
	path := filepath.Join(dir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fedmatch.E(op, fedmatch.Invalid, "%s holds %d bytes, want 32", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	b = make([]byte, 32)
	rand.Read(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return b, f.Close()
}

// brokerOptions is everything a broker needs to start.
type brokerOptions struct {
	FedDir    string
	AuditPath string // empty: no broker audit log
	Timeout   time.Duration
	// PerAgency caps each requester's queries through this broker; zero
	// means broker.DefaultConfig's.
	PerAgency     ratelimit.Limit
	TrustInterval time.Duration // as nodeOptions'
	NC            *nats.Conn
	Log           *slog.Logger
}

// startBroker wires a broker and serves it in the broker queue group.
func startBroker(ctx context.Context, o brokerOptions) (stop func(), err error) {
	trust, err := certs.NewLive(o.FedDir, o.Log)
	if err != nil {
		return nil, err
	}
	var al *audit.Log
	var auditLog fedmatch.AuditLog
	if o.AuditPath != "" {
		key, err := certs.LoadBrokerKey(o.FedDir, trust.Current())
		if err != nil {
			return nil, err
		}
		if al, err = audit.Open(o.AuditPath, audit.Options{By: certs.Broker, Key: key}); err != nil {
			return nil, err
		}
		auditLog = al
	}
	cfg := broker.DefaultConfig()
	if o.Timeout > 0 {
		cfg.Timeout = o.Timeout
	}
	cfg.PerAgency = o.PerAgency // zero: broker.New's default
	b := broker.New(cfg, trust, &bus.Forwarder{NC: o.NC}, auditLog, o.Log.With("component", "broker"))
	sctx, cancel := context.WithCancel(ctx)
	_, err = bus.Serve(sctx, o.NC, bus.ServiceConfig{
		Name: "fedmatch-broker", Description: "fedmatch broker of federation " + trust.Roster().Federation, Log: o.Log,
		Endpoints: []bus.Endpoint{{Name: "query", Subject: bus.QuerySubject, Queue: bus.BrokerQueue, Handler: b.Handle}},
	})
	if err != nil {
		cancel()
		if al != nil {
			al.Close()
		}
		return nil, err
	}
	if al != nil {
		go checkpoints(sctx, al, o.Log)
	}
	go trust.Watch(sctx.Done(), cmp.Or(o.TrustInterval, defaultTrustInterval))
	o.Log.Info("broker serving", "subject", bus.QuerySubject, "federation", trust.Roster().Federation)
	return func() {
		cancel()
		if al != nil {
			al.Close()
		}
	}, nil
}

// initFederation creates a federation in dir (certs.Init) and writes its
// NATS server configuration, listening on listen (empty: the default).
func initFederation(dir string, o certs.InitOptions, listen string) error {
	if err := certs.Init(dir, o); err != nil {
		return err
	}
	return bus.WriteNATSConfig(dir, listen)
}

// connectAgency connects to NATS as agency, with its certificate from the
// federation in fedDir: its node and its requesters share the identity.
func connectAgency(url, fedDir string, agency fedmatch.AgencyID, name string, log *slog.Logger) (*nats.Conn, error) {
	return bus.Connect(url, name, log, bus.WithCredentials(certs.AgencyCredentials(fedDir, agency)))
}

// agencyConns holds one NATS connection per agency of a federation, made
// on first use: in a demo or a test, every agency runs in one process but
// connects as itself.
type agencyConns struct {
	url, fedDir string
	log         *slog.Logger
	conns       map[fedmatch.AgencyID]*nats.Conn
}

func newAgencyConns(url, fedDir string, log *slog.Logger) *agencyConns {
	return &agencyConns{url: url, fedDir: fedDir, log: log, conns: map[fedmatch.AgencyID]*nats.Conn{}}
}

// get returns agency's connection. Errors: Unavailable.
func (c *agencyConns) get(agency fedmatch.AgencyID) (*nats.Conn, error) {
	if nc := c.conns[agency]; nc != nil {
		return nc, nil
	}
	nc, err := connectAgency(c.url, c.fedDir, agency, "fedmatch-"+string(agency), c.log)
	if err != nil {
		return nil, err
	}
	c.conns[agency] = nc
	return nc, nil
}

// Close closes every connection.
func (c *agencyConns) Close() {
	for _, nc := range c.conns {
		nc.Close()
	}
}

// connectBroker connects to NATS as a broker of the federation in fedDir.
func connectBroker(url, fedDir string, log *slog.Logger) (*nats.Conn, error) {
	return bus.Connect(url, "fedmatch-broker", log, bus.WithCredentials(certs.BrokerCredentials(fedDir)))
}

// loadSigner reads agency's signing and sealing keys from its federation
// folder, each checked against its certificate.
func loadSigner(fedDir string, agency fedmatch.AgencyID, trust *certs.Live) (*wire.Signer, error) {
	key, err := certs.LoadKey(fedDir, agency, trust.Current())
	if err != nil {
		return nil, err
	}
	seal, err := certs.LoadSealKey(fedDir, agency, trust.Current())
	if err != nil {
		return nil, err
	}
	return &wire.Signer{Agency: agency, Key: key, SealKey: seal, Keys: trust}, nil
}

// newRequester wires a requester for agency from its federation folder.
//
// With auditPath, each query is recorded in the requester's audit log
// there (checkpoints signed with the agency's key); closeLog closes it.
func newRequester(fedDir string, agency fedmatch.AgencyID, nc *nats.Conn, auditPath string) (r *node.Requester, closeLog func() error, err error) {
	trust, err := certs.NewLive(fedDir, nil)
	if err != nil {
		return nil, nil, err
	}
	signer, err := loadSigner(fedDir, agency, trust)
	if err != nil {
		return nil, nil, err
	}
	r = &node.Requester{Signer: signer, Verifier: wire.NewVerifier(trust), Sender: &bus.Sender{NC: nc}}
	closeLog = func() error { return nil }
	if auditPath != "" {
		if err := os.MkdirAll(filepath.Dir(auditPath), 0o700); err != nil {
			return nil, nil, fedmatch.E("node.Requester", fedmatch.Internal, "%w", err)
		}
		l, err := audit.Open(auditPath, audit.Options{By: string(agency), Key: signer.Key})
		if err != nil {
			return nil, nil, err
		}
		r.Audit, closeLog = l, l.Close
	}
	return r, closeLog, nil
}
