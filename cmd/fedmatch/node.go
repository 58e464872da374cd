package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/policy"
)

func runNode(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return runNodeImport(e, args[1:])
	}
	if len(args) > 0 && args[0] == "status" {
		return runNodeStatus(ctx, e, args[1:])
	}
	fs := flags(e, "node", "node --nats URL --fed DIR --agency ID --data DIR [flags]\n       fedmatch node import --data DIR FILE\n       fedmatch node status --nats URL --fed DIR --agency ID", `
Runs an agency's node: loads the federation (verifying every certificate),
the agency's key, its records from the data directory and its Rego policy,
then answers match queries on NATS subject fedmatch.v1.node.<agency>.match
until interrupted. Every query is verified here, whatever the broker did.

With --bundle FILE the node runs only policy its agency signed: an OPA
bundle built and signed with the stock CLI,
  opa build -b policies/ --signing-alg EdDSA --signing-key <fed>/agencies/<id>/key.pem
verified against the agency's certificate, and re-verified when it changes.

With --policies DIR the node watches that folder: a valid change is
compiled off the hot path and swapped in atomically (every answer and audit
entry names the revision that decided it); an invalid change is logged and
reported by 'fedmatch node status' while the old policy keeps serving.

'fedmatch node import --data DIR FILE' adds a JSON Lines file of records
to a data directory, all or nothing. A running node loads it on restart.
'fedmatch node status' asks a running node for its records, match model
and policy.

The node scores candidates with the match model in DIR/model.json, made
by 'fedmatch model estimate --data DIR' from its own records, or else the
default model built in ('fedmatch model show --data DIR' prints it).`)
	url := fs.String("nats", "nats://127.0.0.1:4222", "NATS server URL")
	fed := fs.String("fed", "", "federation folder (from 'fedmatch certs init')")
	agency := fs.String("agency", "", "the agency this node answers for")
	data := fs.String("data", "", "data directory: records, audit log, node secret, match model")
	pol := fs.String("policies", "", "policy folder laid out like policies/, watched for changes (default: the policies built in)")
	bundleFile := fs.String("bundle", "", "a signed OPA bundle (opa build --signing-alg EdDSA --signing-key <agency key>), verified against the agency's certificate and watched for changes")
	every := fs.Duration("policy-interval", time.Second, "how often to check --policies or --bundle for changes")
	rateAgency := fs.Float64("rate-agency", node.DefaultLimits.PerAgency.PerSecond, "queries a second one requester may send this node (bursts of twice that)")
	ratePurpose := fs.Float64("rate-purpose", node.DefaultLimits.PerPurpose.PerSecond, "queries a second one requester may send this node for one purpose (bursts of twice that)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed", "agency", "data"); err != nil {
		return err
	}
	id := fedmatch.AgencyID(*agency)
	if err := id.Validate(); err != nil {
		return usageErr("%v", err)
	}
	nc, err := connectAgency(*url, *fed, id, "fedmatch-node-"+*agency, e.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if *rateAgency <= 0 || *ratePurpose <= 0 {
		return usageErr("node: --rate-agency and --rate-purpose must be positive")
	}
	o := nodeOptions{FedDir: *fed, DataDir: *data, Agency: id, NC: nc, Log: e.log, Limits: node.Limits{
		PerAgency:  ratelimit.Limit{PerSecond: *rateAgency, Burst: int(2 * *rateAgency)},
		PerPurpose: ratelimit.Limit{PerSecond: *ratePurpose, Burst: int(2 * *ratePurpose)}}}
	switch {
	case *pol != "" && *bundleFile != "":
		return usageErr("node: give --policies or --bundle, not both")
	case *pol != "":
		o.Policies, o.Source, o.Watch = os.DirFS(*pol), policy.DirSource(os.DirFS(*pol)), *every
	case *bundleFile != "":
		src, err := bundleSource(*fed, id, *bundleFile)
		if err != nil {
			return err
		}
		if o.Policies, err = src(); err != nil {
			return err
		}
		o.Source, o.Watch = src, *every
	}
	n, err := startNode(ctx, o)
	if err != nil {
		return err
	}
	defer n.Close()
	fmt.Fprintf(e.stderr, "node %s serving %d records on %s; Ctrl-C to stop\n", id, n.Store.Len(), *url)
	<-ctx.Done()
	return nil
}

func runNodeImport(e *env, args []string) error {
	fs := flags(e, "node import", "node import --data DIR FILE", `
Adds the records in FILE (JSON Lines, one record per line; - for standard
input) to the node data directory DIR. The whole file is checked first: a
malformed line is reported with its line number, a record id the node
already holds is refused, and then nothing is imported. Records are on
disk (fsynced) before this command reports success.`)
	data := fs.String("data", "", "node data directory")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("node import: exactly one FILE is required")
	}
	var in io.Reader = os.Stdin
	if p := fs.Arg(0); p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return fedmatch.E("node.Import", fedmatch.NotFound, "%w", err)
		}
		defer f.Close()
		in = f
	}
	st, err := openStore(*data, match.New(match.DefaultConfig(), nil), nil)
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := st.Import(in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d records into %s in %s (%d held)\n", n, *data, time.Since(start).Round(time.Millisecond), st.Len())
	return nil
}

func runNodeStatus(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "node status", "node status --nats URL --fed DIR --agency ID", `
Asks a running node for its status: records held, the policy revision
serving and when it was loaded, and the latest rejected policy change.
Only the agency itself may ask: it connects with the agency's certificate.`)
	url := fs.String("nats", "nats://127.0.0.1:4222", "NATS server URL")
	fed := fs.String("fed", "", "federation folder (from 'fedmatch certs init')")
	agency := fs.String("agency", "", "the node's agency")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed", "agency"); err != nil {
		return err
	}
	nc, err := connectAgency(*url, *fed, fedmatch.AgencyID(*agency), "fedmatch-node-status", e.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := bus.Request(ctx, nc, bus.NodeSubject(fedmatch.AgencyID(*agency), "status"), nil)
	if err != nil {
		return err
	}
	var st nodeStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return fedmatch.E("node.Status", fedmatch.Malformed, "%w", err)
	}
	fmt.Fprintf(e.stdout, "node %s: %d records, up since %s\nmatch model: %s\npolicy revision %s, loaded %s\n", st.Agency, st.Records,
		st.StartedAt.Format(time.RFC3339), st.Model, st.Policy.Revision, st.Policy.LoadedAt.Format(time.RFC3339))
	if st.Policy.LastError != "" {
		fmt.Fprintf(e.stdout, "rejected change at %s (the revision above keeps serving):\n  %s\n",
			st.Policy.LastErrorAt.Format(time.RFC3339), st.Policy.LastError)
	}
	return nil
}

// bundleSource reads and verifies a signed bundle whenever the file
// changes (by size or modification time), against the agency's
// certificate in the federation folder.
func bundleSource(fedDir string, agency fedmatch.AgencyID, path string) (policy.Source, error) {
	trust, err := certs.Load(fedDir, time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := trust.CertPEM(agency)
	if err != nil {
		return nil, err
	}
	var size int64
	var mod time.Time
	return func() (fs.FS, error) {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fedmatch.E("node.Bundle", fedmatch.NotFound, "%w", err)
		}
		if fi.Size() == size && fi.ModTime().Equal(mod) {
			return nil, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fedmatch.E("node.Bundle", fedmatch.NotFound, "%w", err)
		}
		defer f.Close()
		fsys, err := policy.BundleFS(f, cert)
		if err != nil {
			return nil, fedmatch.Wrap("node.Bundle", fedmatch.Invalid, fmt.Errorf("%s: %w", path, err))
		}
		size, mod = fi.Size(), fi.ModTime()
		return fsys, nil
	}, nil
}
