package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/node"
)

// localFed is a whole federation in one process, as demo and bench run it:
// an embedded NATS server started from the federation's own generated
// configuration (TLS with client certificates, an account per agency),
// every node and the broker connecting as themselves.
type localFed struct {
	URL   string
	Conns *agencyConns
	Nodes map[fedmatch.AgencyID]*runningNode
	close []func()
}

// localOptions configures startLocalFed.
type localOptions struct {
	FedDir  string
	Nodes   []fedmatch.AgencyID
	DataDir func(fedmatch.AgencyID) string
	// BrokerAudit is the broker's audit log; empty keeps none.
	BrokerAudit string
	Timeout     time.Duration
	// Unlimited lifts the rate limits, for a benchmark that floods.
	Unlimited bool
	Log       *slog.Logger
}

// startLocalFed starts the server, the nodes and a broker. Close stops
// them all.
func startLocalFed(ctx context.Context, o localOptions) (f *localFed, err error) {
	srv, err := bus.RunEmbedded(bus.EmbeddedOptions{ConfigFile: certs.NATSConfPath(o.FedDir)})
	if err != nil {
		return nil, err
	}
	f = &localFed{URL: srv.ClientURL(), Nodes: map[fedmatch.AgencyID]*runningNode{}}
	f.Conns = newAgencyConns(f.URL, o.FedDir, o.Log)
	f.close = append(f.close, srv.Shutdown, f.Conns.Close)
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	for _, a := range o.Nodes {
		nc, err := f.Conns.get(a)
		if err != nil {
			return nil, err
		}
		no := nodeOptions{FedDir: o.FedDir, DataDir: o.DataDir(a), Agency: a, NC: nc, Log: o.Log}
		if o.Unlimited {
			no.Limits = node.Limits{PerAgency: ratelimit.Unlimited, PerPurpose: ratelimit.Unlimited}
		}
		n, err := startNode(ctx, no)
		if err != nil {
			return nil, err
		}
		f.Nodes[a] = n
		f.close = append(f.close, n.Close)
	}
	bnc, err := connectBroker(f.URL, o.FedDir, o.Log)
	if err != nil {
		return nil, err
	}
	f.close = append(f.close, bnc.Close)
	bo := brokerOptions{FedDir: o.FedDir, AuditPath: o.BrokerAudit, Timeout: o.Timeout, NC: bnc, Log: o.Log}
	if o.Unlimited {
		bo.PerAgency = ratelimit.Unlimited
	}
	stop, err := startBroker(ctx, bo)
	if err != nil {
		return nil, err
	}
	f.close = append(f.close, stop)
	return f, nil
}

// Close stops everything, last started first.
func (f *localFed) Close() {
	for i := len(f.close) - 1; i >= 0; i-- {
		f.close[i]()
	}
}
