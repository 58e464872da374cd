package main

import (
	"context"
	"fmt"

	"github.com/fedmatch/fedmatch/broker"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
)

func runBroker(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "broker", "broker --nats URL --fed DIR [flags]", `
Runs a broker: verifies each query's signature against the roster, checks
that the requester and every target share an agreement covering the
purpose, forwards the unchanged token to every target node in parallel and
returns per-node status within the deadline. Brokers share the queue group
fedmatch-brokers, so run as many as you like.`)
	url := fs.String("nats", "nats://127.0.0.1:4222", "NATS server URL")
	fed := fs.String("fed", "", "federation folder (from 'fedmatch certs init')")
	auditPath := fs.String("audit", "", "append-only audit log file (default: none)")
	timeout := fs.Duration("timeout", broker.DefaultConfig().Timeout, "how long to wait for nodes")
	rateAgency := fs.Float64("rate-agency", broker.DefaultConfig().PerAgency.PerSecond, "queries a second one requester may send through this broker (bursts of twice that)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed"); err != nil {
		return err
	}
	nc, err := connectBroker(*url, *fed, e.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if *rateAgency <= 0 {
		return usageErr("broker: --rate-agency must be positive")
	}
	stop, err := startBroker(ctx, brokerOptions{FedDir: *fed, AuditPath: *auditPath, Timeout: *timeout, NC: nc, Log: e.log,
		PerAgency: ratelimit.Limit{PerSecond: *rateAgency, Burst: int(2 * *rateAgency)}})
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(e.stderr, "broker serving %s on %s; Ctrl-C to stop\n", bus.QuerySubject, *url)
	<-ctx.Done()
	return nil
}
