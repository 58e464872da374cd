// Package bus is fedmatch on NATS: subject names, connections that surface
// permission errors, request-reply with deadlines, services registered with
// nats.go/micro (so `nats micro ls` shows every broker and node), and the
// embedded server used by `fedmatch demo` and the tests.
package bus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
)

// Subjects. They are versioned and name the agency.
const (
	QuerySubject = "fedmatch.v1.query"
	BrokerQueue  = "fedmatch-brokers"
)

// NodeSubject is the subject a node serves an endpoint on.
func NodeSubject(agency fedmatch.AgencyID, endpoint string) string {
	return "fedmatch.v1.node." + string(agency) + "." + endpoint
}

// Version is reported by the micro services.
const Version = "0.1.0"

// EmbeddedOptions configures an in-process NATS server.
type EmbeddedOptions struct {
	Host string // default 127.0.0.1
	Port int    // -1 picks a free port
	// ConfigFile, when set, is a NATS server configuration to run (such as
	// the one WriteNATSConfig writes); Host and Port override its listen.
	ConfigFile string
}

// RunEmbedded starts an in-process NATS server on loopback and waits until
// it accepts connections. Shut it down with Shutdown. Errors: Invalid (the
// configuration), Unavailable.
func RunEmbedded(o EmbeddedOptions) (*server.Server, error) {
	const op = "bus.RunEmbedded"
	opts := &server.Options{MaxPayload: 8 << 20}
	if o.ConfigFile != "" {
		var err error
		if opts, err = server.ProcessConfigFile(o.ConfigFile); err != nil {
			return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
		}
	}
	opts.Host, opts.Port = cmp.Or(o.Host, "127.0.0.1"), cmp.Or(o.Port, -1)
	// NoSigs: otherwise the server traps SIGINT/SIGTERM and exits the process.
	opts.NoSigs, opts.NoLog = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Unavailable, "%w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fedmatch.E(op, fedmatch.Unavailable, "embedded NATS server did not start")
	}
	return s, nil
}

// WithCredentials connects over TLS with a client certificate, trusting
// only the federation CA for the server's.
func WithCredentials(c certs.Credentials) nats.Option {
	return func(o *nats.Options) error {
		if err := nats.ClientCert(c.CertFile, c.KeyFile)(o); err != nil {
			return err
		}
		return nats.RootCAs(c.CAFile)(o)
	}
}

// Connect dials url as name. Asynchronous errors, such as permission
// violations, arrive only through the error handler: it logs them.
// Errors: Unavailable.
func Connect(url, name string, log *slog.Logger, opts ...nats.Option) (*nats.Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats error", "subject", subj, "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
	}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fedmatch.E("bus.Connect", fedmatch.Unavailable, "nats %s: %w", url, err)
	}
	return nc, nil
}

// Handler answers one request's payload. It must not block forever: ctx
// carries the service's shutdown.
type Handler func(ctx context.Context, payload []byte) []byte

// Endpoint is one subject a service answers on.
type Endpoint struct {
	Name    string
	Subject string
	Queue   string // empty: micro's default queue group
	Handler Handler
}

// ServiceConfig describes a service.
type ServiceConfig struct {
	Name        string // e.g. "fedmatch-node-gb-home-office"
	Description string
	Endpoints   []Endpoint
	// MaxConcurrent bounds requests handled at once; zero means 64.
	MaxConcurrent int
	// Log receives handler panics; nil discards.
	Log *slog.Logger
}

// Serve registers a micro service and answers its endpoints until ctx ends
// or the service is stopped. Requests are handled concurrently, up to
// MaxConcurrent; micro alone would handle them one at a time per endpoint.
// Errors: Invalid, Unavailable.
func Serve(ctx context.Context, nc *nats.Conn, cfg ServiceConfig) (micro.Service, error) {
	const op = "bus.Serve"
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	svc, err := micro.AddService(nc, micro.Config{Name: cfg.Name, Version: Version, Description: cfg.Description})
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	sem := make(chan struct{}, cfg.MaxConcurrent)
	for _, ep := range cfg.Endpoints {
		h := ep.Handler
		opts := []micro.EndpointOpt{micro.WithEndpointSubject(ep.Subject)}
		if ep.Queue != "" {
			opts = append(opts, micro.WithEndpointQueueGroup(ep.Queue))
		}
		err := svc.AddEndpoint(ep.Name, micro.HandlerFunc(func(r micro.Request) {
			data := r.Data()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				defer func() { <-sem }()
				// A bug in one request must not take the service down: it
				// is logged and answered as a service error (which callers
				// see as unavailable), and the next request is served.
				defer func() {
					if p := recover(); p != nil {
						cfg.Log.Error("handler panic", "service", cfg.Name, "subject", r.Subject(), "panic", p, "stack", string(debug.Stack()))
						_ = r.Error("500", "internal error", nil)
					}
				}()
				_ = r.Respond(h(ctx, data))
			}()
		}), opts...)
		if err != nil {
			svc.Stop()
			return nil, fedmatch.E(op, fedmatch.Invalid, "endpoint %s: %w", ep.Name, err)
		}
	}
	// AddService does not report denied subscriptions; a flush round trip
	// surfaces them before we claim to be serving.
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		svc.Stop()
		return nil, fedmatch.E(op, fedmatch.Unavailable, "%w", err)
	}
	if err := nc.LastError(); err != nil {
		svc.Stop()
		return nil, fedmatch.E(op, fedmatch.Unavailable, "%w", err)
	}
	go func() {
		<-ctx.Done()
		svc.Stop()
	}()
	return svc, nil
}

// Request sends payload to subject and waits for the reply until ctx ends.
// Errors: Unavailable.
func Request(ctx context.Context, nc *nats.Conn, subject string, payload []byte) ([]byte, error) {
	const op = "bus.Request"
	msg, err := nc.RequestWithContext(ctx, subject, payload)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, fedmatch.E(op, fedmatch.Unavailable, "nobody serves %s", subject)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return nil, fedmatch.E(op, fedmatch.Unavailable, "no reply on %s in time", subject)
	case err != nil:
		return nil, fedmatch.E(op, fedmatch.Unavailable, "%s: %w", subject, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return nil, fedmatch.E(op, fedmatch.Unavailable, "service error %s: %s", code, msg.Header.Get(micro.ErrorHeader))
	}
	return msg.Data, nil
}

// Forwarder sends tokens to nodes; it is the broker's transport.
type Forwarder struct{ NC *nats.Conn }

// Forward implements broker.Forwarder.
func (f *Forwarder) Forward(ctx context.Context, target fedmatch.AgencyID, endpoint string, token []byte) ([]byte, error) {
	return Request(ctx, f.NC, NodeSubject(target, endpoint), token)
}

// Sender sends queries to the broker; it is a requester's transport.
type Sender struct {
	NC *nats.Conn
	// Timeout bounds the wait when ctx has no deadline.
	Timeout time.Duration
}

// Send implements node.Sender.
func (s *Sender) Send(ctx context.Context, token []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		t := s.Timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	return Request(ctx, s.NC, QuerySubject, token)
}

// ServiceName is the micro service name of an agency's node.
func ServiceName(agency fedmatch.AgencyID) string { return fmt.Sprintf("fedmatch-node-%s", agency) }
