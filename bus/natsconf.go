package bus

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/durable"
)

// NATS isolation. Every party connects to NATS over TLS with a client
// certificate from the federation CA, and the server maps the
// certificate's URI SAN to a user (verify_and_map). Each agency is a NATS
// account of its own and the brokers share one more, so one agency's
// subjects and reply inboxes do not exist in another's: in one account
// with per-user permissions, anyone allowed _INBOX.> would read everyone's
// replies. The accounts meet only through service exports and imports:
//
//   - the broker account exports the query subject to every agency;
//   - each agency exports its node's match and disclose subjects to the
//     broker account alone, so only a broker can send to a node.
//
// Within its account an agency may publish only queries (and its node's
// status requests) and subscribe only to its node's subjects and its own
// inboxes; anything else the server refuses as a permissions violation.
// A revoked member gets no account at all.

// WriteNATSConfig writes the federation's NATS server configuration,
// generated from its roster, to NATSConfPath(dir). Run it again after the
// roster changes and reload the server (nats-server --signal reload) to
// admit new members and cut off revoked ones. listen is host:port; empty
// keeps the existing configuration's, or DefaultNATSListen.
// Errors: Invalid, NotFound, Internal.
func WriteNATSConfig(dir, listen string) error {
	const op = "bus.WriteNATSConfig"
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if listen == "" {
		listen = DefaultNATSListen
		if b, err := os.ReadFile(certs.NATSConfPath(abs)); err == nil {
			if m := listenLine.FindSubmatch(b); m != nil {
				if l, err := strconv.Unquote(string(m[1])); err == nil {
					listen = l
				}
			}
		}
	}
	// Load, not just read, the roster: members revoked by the CRL get no
	// account either.
	t, err := certs.Load(abs, time.Now())
	if err != nil {
		return fedmatch.Wrap(op, fedmatch.ErrorCode(err), err)
	}
	if err := durable.WriteFile(certs.NATSConfPath(abs), []byte(NATSConfig(abs, t.Roster(), listen)), 0o644); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return nil
}

// NATSConfig is the NATS server configuration of roster r, whose
// federation folder is dir (absolute), listening on listen.
func NATSConfig(dir string, r *fedmatch.Roster, listen string) string {
	var active []fedmatch.AgencyID
	for _, m := range r.Members {
		if r.Active(m.ID) {
			active = append(active, m.ID)
		}
	}
	q := strconv.Quote // printable text needs no escapes NATS lacks (it has no \\u)
	list := func(ss ...string) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = q(s)
		}
		return "[" + strings.Join(out, ", ") + "]"
	}
	var c strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&c, format+"\n", args...) }
	p("# NATS server configuration of fedmatch federation %q, generated from its roster", r.Federation)
	p("# by 'fedmatch certs nats-config'. Regenerate it after a roster change, then reload")
	p("# the server (nats-server --signal reload) to admit new members and cut off revoked ones.")
	p("")
	p("listen: %s", q(listen))
	p("max_payload: %d", 8<<20)
	p("")
	p("# Every client presents a certificate from the federation CA; its URI SAN names the user.")
	p("tls {")
	p("  cert_file: %s", q(filepath.Join(dir, certs.NATSDir, certs.ServerCertFile)))
	p("  key_file: %s", q(filepath.Join(dir, certs.NATSDir, certs.ServerKeyFile)))
	p("  ca_file: %s", q(filepath.Join(dir, certs.CACertFile)))
	p("  verify_and_map: true")
	p("}")
	p("")
	p("accounts {")
	p("  %s: {", q(certs.BrokerAccount))
	p("    users: [{user: %s, permissions: {", q(certs.BrokerURI))
	p("      publish: {allow: %s}", list(append(nodeSubjects("*"), "$SRV.>")...))
	p("      subscribe: {allow: %s}", list(QuerySubject, "_INBOX.>", "$SRV.>"))
	p("      allow_responses: true")
	p("    }}]")
	if len(active) > 0 {
		names := make([]string, len(active))
		for i, a := range active {
			names[i] = string(a)
		}
		p("    exports: [{service: %s, accounts: %s}]", q(QuerySubject), list(names...))
		p("    imports: [")
		for _, a := range active {
			for _, s := range nodeSubjects(a) {
				p("      {service: {account: %s, subject: %s}}", q(string(a)), q(s))
			}
		}
		p("    ]")
	}
	p("  }")
	for _, a := range active {
		p("  %s: {", q(string(a)))
		p("    users: [{user: %s, permissions: {", q(certs.AgencyURI(a)))
		p("      publish: {allow: %s}", list(QuerySubject, NodeSubject(a, "status"), "$SRV.>"))
		p("      subscribe: {allow: %s}", list(NodeSubject(a, ">"), "_INBOX.>", "$SRV.>"))
		p("      allow_responses: true")
		p("    }}]")
		p("    exports: [")
		for _, s := range nodeSubjects(a) {
			p("      {service: %s, accounts: %s}", q(s), list(certs.BrokerAccount))
		}
		p("    ]")
		p("    imports: [{service: {account: %s, subject: %s}}]", q(certs.BrokerAccount), q(QuerySubject))
		p("  }")
	}
	p("}")
	return c.String()
}

// nodeSubjects are the subjects of a node the brokers may reach: its match
// and disclose endpoints (not its status).
func nodeSubjects(a fedmatch.AgencyID) []string {
	return []string{NodeSubject(a, "match"), NodeSubject(a, "disclose")}
}

// listenLine finds the listen address of a configuration NATSConfig wrote.
var listenLine = regexp.MustCompile(`(?m)^listen: ("[^"\n]*")$`)

// DefaultNATSListen is where a generated NATS configuration listens.
const DefaultNATSListen = "127.0.0.1:4222"
