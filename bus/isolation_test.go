package bus_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/testfed"
)

// isolated is a federation on an embedded server run from the NATS
// configuration generated from its roster: TLS with client certificates,
// one account per agency.
type isolated struct {
	fed *testfed.Fed
	url string
}

func mustIsolated(t *testing.T, r fedmatch.Roster) *isolated {
	t.Helper()
	fed := testfed.MustFed(t, r)
	if err := bus.WriteNATSConfig(fed.Dir, bus.DefaultNATSListen); err != nil {
		t.Fatal(err)
	}
	s, err := bus.RunEmbedded(bus.EmbeddedOptions{ConfigFile: certs.NATSConfPath(fed.Dir)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return &isolated{fed: fed, url: s.ClientURL()}
}

// conn connects with creds and collects the asynchronous errors (such as
// permission violations) the server sends it.
type conn struct {
	*nats.Conn
	errs chan error
}

func (f *isolated) connect(t *testing.T, name string, creds certs.Credentials) (*conn, error) {
	t.Helper()
	errs := make(chan error, 16)
	nc, err := bus.Connect(f.url, name, nil, bus.WithCredentials(creds), nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		return nil, err
	}
	t.Cleanup(nc.Close)
	return &conn{nc, errs}, nil
}

func (f *isolated) mustConnect(t *testing.T, name string, creds certs.Credentials) *conn {
	t.Helper()
	c, err := f.connect(t, name, creds)
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	return c
}

// requireRefused fails unless the server reports a permissions violation.
func (c *conn) requireRefused(t *testing.T, what string) {
	t.Helper()
	c.Flush()
	select {
	case err := <-c.errs:
		if !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
			t.Fatalf("%s: %v, want a permissions violation", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the server did not refuse it", what)
	}
}

func TestIsolation(t *testing.T) {
	r := testfed.Roster()
	r.Revoked = []fedmatch.AgencyID{testfed.XX}
	f := mustIsolated(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The broker answers queries by asking US's node; US's node echoes.
	brk := f.mustConnect(t, "broker", certs.BrokerCredentials(f.fed.Dir))
	us := f.mustConnect(t, "us", certs.AgencyCredentials(f.fed.Dir, testfed.US))
	gb := f.mustConnect(t, "gb", certs.AgencyCredentials(f.fed.Dir, testfed.GB))
	de := f.mustConnect(t, "de", certs.AgencyCredentials(f.fed.Dir, testfed.DE))
	if _, err := bus.Serve(ctx, us.Conn, bus.ServiceConfig{Name: bus.ServiceName(testfed.US), Endpoints: []bus.Endpoint{{
		Name: "match", Subject: bus.NodeSubject(testfed.US, "match"),
		Handler: func(_ context.Context, p []byte) []byte { return append([]byte("us:"), p...) }}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Serve(ctx, brk.Conn, bus.ServiceConfig{Name: "fedmatch-broker", Endpoints: []bus.Endpoint{{
		Name: "query", Subject: bus.QuerySubject, Queue: bus.BrokerQueue,
		Handler: func(ctx context.Context, p []byte) []byte {
			b, err := (&bus.Forwarder{NC: brk.Conn}).Forward(ctx, testfed.US, "match", p)
			if err != nil {
				return []byte("error: " + err.Error())
			}
			return b
		}}}}); err != nil {
		t.Fatal(err)
	}

	// DE listens wherever it may, to catch anything of GB's or US's.
	var overheard atomic.Int64
	for _, subj := range []string{"_INBOX.>", bus.NodeSubject(testfed.DE, ">"), "$SRV.>"} {
		if _, err := de.Subscribe(subj, func(*nats.Msg) { overheard.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	de.Flush()

	t.Run("a query goes through the broker to the node and back", func(t *testing.T) {
		got, err := (&bus.Sender{NC: gb.Conn}).Send(ctx, []byte("probe"))
		if err != nil || string(got) != "us:probe" {
			t.Fatalf("Send = %q, %v", got, err)
		}
	})
	t.Run("another agency overhears nothing", func(t *testing.T) {
		for range 5 {
			if _, err := (&bus.Sender{NC: gb.Conn}).Send(ctx, []byte("probe")); err != nil {
				t.Fatal(err)
			}
		}
		de.Flush()
		if n := overheard.Load(); n != 0 {
			t.Fatalf("DE received %d messages of others' traffic", n)
		}
	})
	for _, tc := range []struct {
		name string
		do   func(c *conn) error
	}{
		{"subscribing to another agency's node", func(c *conn) error {
			_, err := c.Subscribe(bus.NodeSubject(testfed.US, "match"), func(*nats.Msg) {})
			return err
		}},
		{"subscribing to every node", func(c *conn) error {
			_, err := c.Subscribe("fedmatch.v1.node.>", func(*nats.Msg) {})
			return err
		}},
		{"subscribing to the queries", func(c *conn) error {
			_, err := c.Subscribe(bus.QuerySubject, func(*nats.Msg) {})
			return err
		}},
		{"subscribing to everything", func(c *conn) error {
			_, err := c.Subscribe(">", func(*nats.Msg) {})
			return err
		}},
		{"sending straight to a node", func(c *conn) error {
			return c.Publish(bus.NodeSubject(testfed.US, "match"), []byte("probe"))
		}},
		{"sending to its own node's match endpoint", func(c *conn) error {
			return c.Publish(bus.NodeSubject(testfed.GB, "match"), []byte("probe"))
		}},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			if err := tc.do(gb); err != nil {
				t.Fatal(err)
			}
			gb.requireRefused(t, tc.name)
		})
	}
	t.Run("refused: a node's endpoint is not reachable from another account", func(t *testing.T) {
		// Were the publish allowed, it would still land in GB's own account,
		// where no node of US's listens.
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := bus.Request(rctx, gb.Conn, bus.NodeSubject(testfed.US, "match"), []byte("probe"))
		if err == nil {
			t.Fatal("GB reached US's node without the broker")
		}
		gb.requireRefused(t, "request to another agency's node")
	})

	for _, tc := range []struct {
		name  string
		creds func(t *testing.T) certs.Credentials
	}{
		{"no client certificate", func(t *testing.T) certs.Credentials {
			return certs.Credentials{CAFile: certs.AgencyCredentials(f.fed.Dir, testfed.GB).CAFile}
		}},
		{"a certificate from another federation's CA", func(t *testing.T) certs.Credentials {
			other := testfed.MustFed(t, testfed.Roster())
			c := certs.AgencyCredentials(other.Dir, testfed.GB)
			c.CAFile = certs.AgencyCredentials(f.fed.Dir, testfed.GB).CAFile
			return c
		}},
		{"a revoked member", func(t *testing.T) certs.Credentials {
			return certs.AgencyCredentials(f.fed.Dir, testfed.XX)
		}},
	} {
		t.Run("cannot connect: "+tc.name, func(t *testing.T) {
			creds := tc.creds(t)
			var err error
			if creds.CertFile == "" {
				_, err = bus.Connect(f.url, tc.name, nil, nats.RootCAs(creds.CAFile), nats.MaxReconnects(0))
			} else {
				_, err = f.connect(t, tc.name, creds)
			}
			if err == nil {
				t.Fatal("connected")
			}
		})
	}
}

// A member revoked by the CRL loses its account when the configuration is
// written again, and the listen address chosen before is kept.
func TestWriteNATSConfig_Revoked(t *testing.T) {
	fed := testfed.MustFed(t, testfed.Roster())
	if err := bus.WriteNATSConfig(fed.Dir, "0.0.0.0:4333"); err != nil {
		t.Fatal(err)
	}
	if err := certs.Revoke(fed.Dir, testfed.US, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := bus.WriteNATSConfig(fed.Dir, ""); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(certs.NATSConfPath(fed.Dir))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	if strings.Contains(conf, certs.AgencyURI(testfed.US)) || !strings.Contains(conf, certs.AgencyURI(testfed.GB)) {
		t.Fatalf("the revoked member kept its user, or another lost theirs:\n%s", conf)
	}
	if !strings.Contains(conf, `listen: "0.0.0.0:4333"`) {
		t.Fatalf("the listen address was not kept:\n%s", conf)
	}
}
