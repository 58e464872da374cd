package audit_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
)

// testKey is a writer's key and the Keys that verify its checkpoints.
type testKey struct {
	by   string
	priv ed25519.PrivateKey
}

func MustKey(tb testing.TB, by string) testKey {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return testKey{by, priv}
}

func (k testKey) keys() audit.Keys {
	return func(by string) (ed25519.PublicKey, error) {
		if by != k.by {
			return nil, fmt.Errorf("unknown writer %q", by)
		}
		return k.priv.Public().(ed25519.PublicKey), nil
	}
}

// MustLog writes n entries to a new log, signed by k every `every`
// entries (k.priv nil: no checkpoints), and closes it.
func MustLog(tb testing.TB, n, every int, k testKey) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "audit.jsonl")
	l, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv, CheckpointEvery: every})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if err := l.Append(&fedmatch.AuditEntry{Time: time.Unix(int64(i), 0).UTC(), Event: "match", QueryID: fmt.Sprint("q", i), Outcome: "no_hit"}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func writeLines(t *testing.T, path string, l []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(l, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLog_Reopen(t *testing.T) {
	k := MustKey(t, "us-dhs")
	path := MustLog(t, 3, 100, k)
	var seen []time.Time
	l, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv, Each: func(e *fedmatch.AuditEntry) { seen = append(seen, e.Time) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || !seen[0].Before(seen[2]) {
		t.Fatalf("Open passed %v, want the 3 entries in order", seen)
	}
	if err := l.Append(&fedmatch.AuditEntry{Event: "match", Outcome: "hit"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	r, err := audit.Verify(path, k.keys())
	if err != nil || r.Entries != 4 || r.Checkpoints != 2 || r.Unsigned != 0 || r.Signer != "us-dhs" || !r.Checked {
		t.Fatalf("Verify = %+v, %v; want 4 entries under 2 checkpoints by us-dhs", r, err)
	}
	entries, err := audit.Read(path)
	if err != nil || len(entries) != 4 || entries[3].By != "us-dhs" {
		t.Fatalf("Read = %d entries, %v; want 4, stamped by us-dhs", len(entries), err)
	}
}

func TestLog_Checkpoints(t *testing.T) {
	k := MustKey(t, "broker")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv, CheckpointEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	for range 7 {
		l.Append(&fedmatch.AuditEntry{Event: "broker.match", Outcome: "routed"})
	}
	// 7 entries: checkpoints after the 3rd and 6th, one entry unsigned.
	if r, err := audit.Verify(path, k.keys()); err != nil || r.Checkpoints != 2 || r.Unsigned != 1 {
		t.Fatalf("Verify = %+v, %v; want 2 checkpoints and 1 entry after them", r, err)
	}
	if err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if r, _ := audit.Verify(path, k.keys()); r.Checkpoints != 3 || r.Unsigned != 0 {
		t.Fatalf("after Checkpoint: %+v", r)
	}
	if _, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv}); !fedmatch.IsCode(err, fedmatch.Unavailable) {
		t.Fatalf("a second writer: %v, want unavailable (locked)", err)
	}
	l.Close()
}

// A writer that stopped without closing leaves entries after the last
// checkpoint; the next Open signs them.
func TestLog_OpenSignsAnUnsignedTail(t *testing.T) {
	path := MustLog(t, 5, 100, testKey{by: "us-dhs"}) // no key: no checkpoints
	k := MustKey(t, "us-dhs")
	l, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if r, err := audit.Verify(path, k.keys()); err != nil || r.Checkpoints != 1 || r.Unsigned != 0 || r.Entries != 5 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

// rechain recomputes every line's link and hash, as one who holds the file
// and wants an edit to pass would: the chain is whole again, and only the
// checkpoints' signatures betray it.
func rechain(t *testing.T, ls []string) []string {
	t.Helper()
	prev := strings.Repeat("0", 64)
	for i, s := range ls {
		var l audit.Line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatal(err)
		}
		l.Seq, l.Prev = uint64(i+1), prev
		if l.Checkpoint != nil { // and make each checkpoint name the new head
			var cp audit.Checkpoint
			json.Unmarshal(l.Checkpoint, &cp)
			cp.Head, cp.Covers = prev, uint64(i)
			l.Checkpoint, _ = json.Marshal(&cp)
		}
		h := sha256.New()
		fmt.Fprintf(h, "fedmatch-audit-v1\x00%d\x00%s\x00", l.Seq, l.Prev)
		if l.Checkpoint != nil {
			h.Write([]byte("checkpoint\x00"))
			h.Write(l.Checkpoint)
		} else {
			h.Write(l.Entry)
		}
		l.Hash = hex.EncodeToString(h.Sum(nil))
		prev = l.Hash
		b, _ := json.Marshal(&l)
		ls[i] = string(b)
	}
	return ls
}

func TestVerify_DetectsTampering(t *testing.T) {
	k := MustKey(t, "us-dhs")
	tests := []struct {
		name   string
		mutate func(t *testing.T, lines []string) []string
		want   string
	}{
		{"edited", func(_ *testing.T, l []string) []string { l[1] = strings.Replace(l[1], "no_hit", "hit", 1); return l }, "line 2: hash mismatch"},
		{"dropped", func(_ *testing.T, l []string) []string { return append(l[:1], l[2:]...) }, "line 2"},
		{"reordered", func(_ *testing.T, l []string) []string { l[1], l[2] = l[2], l[1]; return l }, "line 2"},
		{"truncated line", func(_ *testing.T, l []string) []string { l[2] = l[2][:20]; return l }, "line 3"},
		{"edited and rechained", func(t *testing.T, l []string) []string {
			l[1] = strings.Replace(l[1], "no_hit", "hit", 1)
			return rechain(t, l)
		}, "line 4: checkpoint signature by \"us-dhs\" does not verify"},
		{"dropped and rechained", func(t *testing.T, l []string) []string {
			return rechain(t, append(l[:1], l[2:]...))
		}, "line 3: checkpoint covers line 2 (3 entries), but stands after line 2 (2 entries)"},
		{"checkpoint forged by another key", func(t *testing.T, l []string) []string {
			other := MustKey(t, "us-dhs")
			var cp audit.Checkpoint
			var line audit.Line
			json.Unmarshal([]byte(l[3]), &line)
			json.Unmarshal(line.Checkpoint, &cp)
			cp.Sig = ed25519.Sign(other.priv, []byte("anything"))
			line.Checkpoint, _ = json.Marshal(&cp)
			b, _ := json.Marshal(&line)
			l[3] = string(b)
			return rechain(t, l)
		}, "line 4: checkpoint signature"},
		{"edited, rechained, checkpoint left", func(t *testing.T, l []string) []string {
			l[1] = strings.Replace(l[1], "no_hit", "hit", 1)
			cp := l[3]
			l = rechain(t, l)
			var orig, now audit.Line
			json.Unmarshal([]byte(cp), &orig)
			json.Unmarshal([]byte(l[3]), &now)
			now.Checkpoint = orig.Checkpoint // the old head: the hash below no longer matches it
			b, _ := json.Marshal(&now)
			l[3] = string(b)
			return l
		}, "line 4"},
		{"a line holding both", func(_ *testing.T, l []string) []string {
			l[1] = strings.Replace(l[1], `"entry":`, `"checkpoint":{},"entry":`, 1)
			return l
		}, "line 2: holds neither or both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := MustLog(t, 4, 3, k) // entries 1–3, checkpoint (line 4), entry, checkpoint
			writeLines(t, path, tc.mutate(t, lines(t, path)))
			_, err := audit.Verify(path, k.keys())
			if !fedmatch.IsCode(err, fedmatch.Malformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify: %v, want malformed naming %q", err, tc.want)
			}
			if _, err := audit.Open(path, audit.Options{By: k.by, Key: k.priv}); err == nil {
				t.Fatal("Open extended a broken chain")
			}
		})
	}
	// Without the keys, a rechained edit passes: why verify takes them.
	path := MustLog(t, 4, 3, k)
	l := lines(t, path)
	l[1] = strings.Replace(l[1], "no_hit", "hit", 1)
	writeLines(t, path, rechain(t, l))
	if _, err := audit.Verify(path, nil); err != nil {
		t.Fatalf("a rechained log fails the chain check itself: %v", err)
	}
}

// Logs written before checkpoints existed still verify.
func TestVerify_OldFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	old := `{"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","entry":{"time":"2026-01-01T00:00:00Z","event":"match","query_id":"q","requester":"gb-home-office","outcome":"no_hit"},"hash":"%s"}`
	h := sha256.New()
	fmt.Fprintf(h, "fedmatch-audit-v1\x00%d\x00%s\x00", 1, strings.Repeat("0", 64))
	h.Write([]byte(`{"time":"2026-01-01T00:00:00Z","event":"match","query_id":"q","requester":"gb-home-office","outcome":"no_hit"}`))
	os.WriteFile(path, []byte(fmt.Sprintf(old, hex.EncodeToString(h.Sum(nil)))+"\n"), 0o600)
	if r, err := audit.Verify(path, nil); err != nil || r.Entries != 1 || r.Unsigned != 1 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

func BenchmarkLog_Append(b *testing.B) {
	k := MustKey(b, "us-dhs")
	l, err := audit.Open(filepath.Join(b.TempDir(), "audit.jsonl"), audit.Options{By: k.by, Key: k.priv})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := &fedmatch.AuditEntry{Event: "match", QueryID: "0123456789abcdef", Requester: "gb-home-office", Outcome: "hit",
		Refs: []string{"abc"}, Fields: []string{"surname"}}
	for b.Loop() {
		if err := l.Append(e); err != nil {
			b.Fatal(err)
		}
	}
}
