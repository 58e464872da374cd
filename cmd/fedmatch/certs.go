package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
)

func runCerts(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "certs", []subcommand{
		{"init", "create a federation: CA, agency keys and certificates, roster", runCertsInit},
		{"show", "load a federation, verify it, and list members and agreements", runCertsShow},
		{"nats-config", "regenerate the NATS server configuration from the roster", runCertsNATSConfig},
		{"revoke", "revoke an agency's certificate (CRL signed by the CA)", runCertsRevoke},
	}, args)
}

// agreementsFlag collects repeated --agreement values.
type agreementsFlag []fedmatch.Agreement

// String implements flag.Value; the default shown is empty.
func (a *agreementsFlag) String() string { return "" }

// Set parses one ID:PARTY+PARTY:PURPOSE+PURPOSE value.
func (a *agreementsFlag) Set(s string) error {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return fmt.Errorf("want ID:PARTY+PARTY:PURPOSE+PURPOSE, got %q", s)
	}
	ag := fedmatch.Agreement{ID: parts[0]}
	for _, p := range strings.Split(parts[1], "+") {
		ag.Parties = append(ag.Parties, fedmatch.AgencyID(p))
	}
	for _, p := range strings.Split(parts[2], "+") {
		ag.Purposes = append(ag.Purposes, fedmatch.Purpose(p))
	}
	*a = append(*a, ag)
	return nil
}

func runCertsInit(e *env, args []string) error {
	fs := flags(e, "certs init", "certs init --dir DIR --agencies ID,ID,... [flags]", `
Creates a federation in DIR: a CA (ca.crt, ca.key); for every agency an
Ed25519 signing key, an HPKE sealing key (ML-KEM-768 + X25519) and an
X.509 certificate issued by the CA naming the agency and committing to its
sealing key (agencies/<id>/cert.pem, key.pem, seal.key); roster.json with
members, their sealing keys and agreements; and the NATS set-up: a client
certificate for the brokers (broker/), a server certificate (nats/) and
nats/nats-server.conf, which gives every agency its own account, reachable
only through the broker, over TLS with client certificates. Run an
external server with 'nats-server -c DIR/nats/nats-server.conf'. Private
keys are written with mode 0600. Refuses to overwrite a federation.

Agreements are given as ID:PARTY+PARTY:PURPOSE+PURPOSE, for example
  --agreement gb-us-2026:gb-home-office+us-dhs:border-admission+visa-application
Without any, one agreement "<federation>-all" covers every agency and purpose.
Purposes: `+purposeList())
	dir := fs.String("dir", "", "folder to create the federation in")
	list := fs.String("agencies", "", "comma-separated agency ids (lowercase, digits, hyphens)")
	name := fs.String("federation", "dev", "federation name (the aud claim of queries)")
	validity := fs.Duration("validity", certs.DefaultValidity, "validity of agency certificates (the CA gets twice this)")
	listen := fs.String("nats-listen", bus.DefaultNATSListen, "host:port the generated NATS server configuration listens on")
	hosts := fs.String("nats-hosts", "", "comma-separated names or addresses of the NATS server, besides localhost (for its certificate)")
	var ags agreementsFlag
	fs.Var(&ags, "agreement", "an agreement ID:PARTY+PARTY:PURPOSE+PURPOSE (repeatable)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "dir", "agencies"); err != nil {
		return err
	}
	ids, err := agencyList(*list)
	if err != nil {
		return err
	}
	r := fedmatch.Roster{Federation: *name, Agreements: ags}
	for _, id := range ids {
		r.Members = append(r.Members, fedmatch.Member{ID: id, Name: string(id)})
	}
	if len(r.Agreements) == 0 {
		r.Agreements = []fedmatch.Agreement{{ID: *name + "-all", Parties: ids, Purposes: fedmatch.Purposes()}}
	}
	// Each member answers the purposes of its agreements; edit roster.json
	// to narrow that (reciprocity then narrows what it may ask).
	for i := range r.Members {
		r.Members[i].Answers = r.AgreedPurposes(r.Members[i].ID)
	}
	o := certs.InitOptions{Roster: r, Validity: *validity}
	if *hosts != "" {
		o.NATSHosts = strings.Split(*hosts, ",")
	}
	if err := initFederation(*dir, o, *listen); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "federation %q written to %s: %d agencies, %d agreements\n", *name, *dir, len(ids), len(r.Agreements))
	return nil
}

func runCertsNATSConfig(e *env, args []string) error {
	fs := flags(e, "certs nats-config", "certs nats-config --dir DIR [--listen HOST:PORT]", `
Writes DIR/nats/nats-server.conf afresh from the roster: an account per
active member, exporting its node's subjects to the brokers alone, and
none for a revoked one. Run it after editing roster.json, then reload the
server (nats-server --signal reload) so that a revoked agency can no
longer connect.`)
	dir := fs.String("dir", "", "federation folder")
	listen := fs.String("listen", "", "host:port the server listens on (default: as before, else "+bus.DefaultNATSListen+")")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	if err := bus.WriteNATSConfig(*dir, *listen); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", certs.NATSConfPath(*dir))
	return nil
}

func runCertsRevoke(e *env, args []string) error {
	fs := flags(e, "certs revoke", "certs revoke --dir DIR --agency ID", `
Adds the agency's certificate to the federation's certificate revocation
list (DIR/crl.pem, signed with DIR/ca.key) and regenerates the NATS server
configuration without the agency's account. Running brokers and nodes
re-read the roster and CRL every second and refuse the agency's queries
from then on (unknown_agency); reload the NATS server (nats-server --signal
reload) to cut off its connection too. Copy crl.pem to every agency's
federation folder.`)
	dir := fs.String("dir", "", "federation folder holding ca.key")
	agency := fs.String("agency", "", "the agency to revoke")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "dir", "agency"); err != nil {
		return err
	}
	if err := certs.Revoke(*dir, fedmatch.AgencyID(*agency), time.Now()); err != nil {
		return err
	}
	if err := bus.WriteNATSConfig(*dir, ""); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked %s in %s; wrote %s (reload the NATS server)\n", *agency, filepath.Join(*dir, certs.CRLFile), certs.NATSConfPath(*dir))
	return nil
}

func runCertsShow(e *env, args []string) error {
	fs := flags(e, "certs show", "certs show --dir DIR", "Loads the federation in DIR, verifying every certificate, and lists it.")
	dir := fs.String("dir", "", "federation folder")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	t, err := certs.Load(*dir, time.Now())
	if err != nil {
		return err
	}
	r := t.Roster()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "federation %s (CA valid until %s)\n\nMEMBER\tNAME\tSTATUS\n", r.Federation, t.CA().NotAfter.Format(time.DateOnly))
	for _, m := range r.Members {
		status := "active"
		if !r.Active(m.ID) {
			status = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.ID, m.Name, status)
	}
	fmt.Fprintf(tw, "\nAGREEMENT\tPARTIES\tPURPOSES\n")
	for _, a := range r.Agreements {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, join(a.Parties), join(a.Purposes))
	}
	return tw.Flush()
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

func purposeList() string { return join(fedmatch.Purposes()) }
