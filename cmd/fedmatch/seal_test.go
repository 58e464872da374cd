package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
)

// TestFederation_BrokerSeesNoPlaintext runs every demo scenario through a
// real broker and nodes on an embedded NATS server while a tap, connected
// with the brokers' own credentials, records every query sent to them and
// every reply sent back to them: all that reaches the broker account. The
// broker's process receives nothing but those messages (and writes
// nothing but its audit log), so if no probe, case reference, hit
// reference or disclosed field appears in any of them, even inside a
// token's base64, the broker never held one.
func TestFederation_BrokerSeesNoPlaintext(t *testing.T) {
	f := mustTestFed(t)
	for _, a := range []fedmatch.AgencyID{gb, us, de} {
		defer f.node(a, nil, nil).Close()
	}
	f.broker()
	var mu sync.Mutex
	var seen [][]byte
	tap, err := connectBroker(f.url, f.fedDir, f.e.log)
	require_True(t, err == nil, "connect the tap: %v", err)
	defer tap.Close()
	for _, subj := range []string{bus.QuerySubject, "_INBOX.>"} {
		_, err := tap.Subscribe(subj, func(m *nats.Msg) {
			mu.Lock()
			seen = append(seen, append([]byte(m.Subject+" "), m.Data...))
			mu.Unlock()
		})
		require_True(t, err == nil, "subscribe: %v", err)
	}
	require_True(t, tap.Flush() == nil, "flush")

	// What the requesters learnt, in clear: every one a secret from the broker.
	secrets := map[string]bool{}
	add := func(s string) {
		if len(s) >= 6 { // shorter strings turn up in random bytes by chance
			secrets[s] = true
		}
	}
	hits := 0
	for _, sc := range scenarios() {
		if sc.special == "tamper" || sc.special == "replay" {
			continue
		}
		add(sc.q.Probe.Surname)
		add(string(sc.q.Probe.DateOfBirth))
		add(sc.q.Case)
		for _, d := range sc.q.Probe.Documents {
			add(d.Number)
		}
		res, err := askScenario(f.ctx, f.requester(sc.from), sc)
		require_True(t, err == nil, "%s: %v", sc.title, err)
		for _, nr := range res.Nodes {
			if nr.Answer == nil {
				continue
			}
			add(nr.Answer.Reason)
			for _, h := range nr.Answer.Hits {
				hits++
				add(h.Ref)
				b, _ := json.Marshal(h.Fields)
				var fields any
				json.Unmarshal(b, &fields)
				walkStrings(fields, add)
			}
		}
	}
	require_True(t, tap.Flush() == nil, "flush")
	require_True(t, hits >= 5 && len(secrets) >= 15, "the scenarios disclosed too little to test: %d hits, %d secrets", hits, len(secrets))
	tap.Close()

	mu.Lock()
	defer mu.Unlock()
	require_True(t, len(seen) >= 25, "the tap saw only %d messages", len(seen)) // 13 queries and their nodes' replies
	auditLog, err := os.ReadFile(filepath.Join(f.root, "broker-audit.jsonl"))
	require_True(t, err == nil, "broker audit: %v", err)
	haystacks := append(seen, auditLog)
	for _, h := range haystacks {
		text := decoded(h)
		for s := range secrets {
			require_True(t, !strings.Contains(text, s), "%q crossed NATS or reached the broker's log in clear:\n%.400s", s, text)
		}
	}

	// The scan would have caught them: the requester's opened result holds them.
	var opened strings.Builder
	for _, sc := range scenarios()[:1] {
		res, err := askScenario(f.ctx, f.requester(sc.from), sc)
		require_True(t, err == nil, "%v", err)
		b, _ := json.Marshal(res)
		opened.WriteString(decoded(b))
	}
	require_True(t, strings.Contains(opened.String(), "Okafor"), "the scan finds nothing even in clear text")
}

// walkStrings calls f with every string value (not key) in v.
func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case map[string]any:
		for _, x := range v {
			walkStrings(x, f)
		}
	}
}

// decoded is b followed by the base64url decoding of every run of
// base64url characters in it, twice over (a token inside a reply), so
// that a secret merely encoded is still found.
func decoded(b []byte) string {
	run := regexp.MustCompile(`[A-Za-z0-9_-]{8,}`)
	text := string(b)
	for range 2 {
		var more strings.Builder
		for _, s := range run.FindAllString(text, -1) {
			if d, err := base64.RawURLEncoding.DecodeString(s[:len(s)/4*4]); err == nil {
				more.Write(d)
				more.WriteByte('\n')
			}
		}
		text += "\n" + more.String()
	}
	return text
}
