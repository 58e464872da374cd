package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
)

// MustServer starts an embedded server on a free loopback port.
func MustServer(tb testing.TB) string {
	tb.Helper()
	s, err := bus.RunEmbedded(bus.EmbeddedOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Shutdown)
	return s.ClientURL()
}

func TestServe_RequestReply(t *testing.T) {
	url := MustServer(t)
	nc, err := bus.Connect(url, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	_, err = bus.Serve(ctx, nc, bus.ServiceConfig{Name: "fedmatch-node-us-dhs", Endpoints: []bus.Endpoint{{
		Name: "match", Subject: bus.NodeSubject("us-dhs", "match"),
		Handler: func(ctx context.Context, p []byte) []byte {
			if string(p) == "slow" {
				<-release
			}
			if string(p) == "panic" {
				panic("bug")
			}
			return append([]byte("echo:"), p...)
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	fwd := &bus.Forwarder{NC: nc}
	// A slow request does not hold up the next one: requests are concurrent.
	slow := make(chan error, 1)
	go func() {
		_, err := fwd.Forward(context.Background(), "us-dhs", "match", []byte("slow"))
		slow <- err
	}()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	got, err := fwd.Forward(rctx, "us-dhs", "match", []byte("hi"))
	if err != nil || string(got) != "echo:hi" {
		t.Fatalf("Forward = %q, %v", got, err)
	}
	close(release)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}

	// A panicking request is answered as unavailable, and serving goes on.
	if _, err := fwd.Forward(rctx, "us-dhs", "match", []byte("panic")); !fedmatch.IsCode(err, fedmatch.Unavailable) {
		t.Fatalf("Forward of a panicking request: %v", err)
	}
	if got, err := fwd.Forward(rctx, "us-dhs", "match", []byte("again")); err != nil || string(got) != "echo:again" {
		t.Fatalf("Forward after a panic = %q, %v", got, err)
	}

	// Nobody serves de-bka: unavailable at once, not after the deadline.
	_, err = fwd.Forward(rctx, "de-bka", "match", []byte("hi"))
	if !fedmatch.IsCode(err, fedmatch.Unavailable) {
		t.Fatalf("Forward to nobody: %v", err)
	}
	// A deadline that passes is unavailable too.
	short, scancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer scancel()
	release = make(chan struct{})
	defer close(release)
	_, err = fwd.Forward(short, "us-dhs", "match", []byte("slow"))
	if !fedmatch.IsCode(err, fedmatch.Unavailable) || !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Fatalf("Forward past deadline: %v", err)
	}
}

func BenchmarkForwarder_RoundTrip(b *testing.B) {
	url := MustServer(b)
	nc, err := bus.Connect(url, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	payload := make([]byte, 1024)
	if _, err := bus.Serve(ctx, nc, bus.ServiceConfig{Name: "bench", Endpoints: []bus.Endpoint{{Name: "match",
		Subject: bus.NodeSubject("us-dhs", "match"), Handler: func(_ context.Context, p []byte) []byte { return p }}}}); err != nil {
		b.Fatal(err)
	}
	fwd := &bus.Forwarder{NC: nc}
	for b.Loop() {
		if _, err := fwd.Forward(ctx, "us-dhs", "match", payload); err != nil {
			b.Fatal(err)
		}
	}
}
