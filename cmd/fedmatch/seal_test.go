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
	secrets := secretSet{}
	hits := 0
	for _, sc := range scenarios() {
		if sc.special == "tamper" || sc.special == "replay" {
			continue
		}
		secrets.addProbe(sc.q.Probe)
		secrets.add(sc.q.Case)
		res, err := askScenario(f.ctx, f.requester(sc.from), sc)
		require_True(t, err == nil, "%s: %v", sc.title, err)
		for _, nr := range res.Nodes {
			if nr.Answer == nil {
				continue
			}
			secrets.add(nr.Answer.Reason)
			for _, h := range nr.Answer.Hits {
				hits++
				secrets.add(h.Ref)
				secrets.addFields(h)
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

// secretSet holds strings that must not be found where they do not
// belong, each of 6 characters or more: shorter ones turn up in random
// bytes by chance.
type secretSet map[string]bool

func (s secretSet) add(v string) {
	if len(v) >= 6 {
		s[v] = true
	}
}

// addProbe adds a probe's names, date of birth and document numbers.
func (s secretSet) addProbe(p fedmatch.Probe) {
	s.add(p.Surname)
	s.add(p.GivenNames)
	s.add(string(p.DateOfBirth))
	for _, d := range p.Documents {
		s.add(d.Number)
	}
}

// addFields adds every string value of a hit's disclosed fields.
func (s secretSet) addFields(h fedmatch.Hit) {
	b, _ := json.Marshal(h.Fields)
	var fields any
	json.Unmarshal(b, &fields)
	walkStrings(fields, s.add)
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
