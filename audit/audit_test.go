package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
)

func MustLog(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "audit.jsonl")
	l, err := audit.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if err := l.Append(&fedmatch.AuditEntry{Time: time.Unix(int64(i), 0).UTC(), Event: "match", QueryID: "q", Outcome: "no_hit"}); err != nil {
			tb.Fatal(err)
		}
	}
	l.Close()
	return path
}

func TestLog_Reopen(t *testing.T) {
	path := MustLog(t, 3)
	var seen []time.Time
	l, err := audit.OpenEach(path, func(e *fedmatch.AuditEntry) { seen = append(seen, e.Time) })
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || !seen[0].Before(seen[2]) {
		t.Fatalf("OpenEach passed %v, want the 3 entries in order", seen)
	}
	if err := l.Append(&fedmatch.AuditEntry{Event: "match", Outcome: "hit"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if n, err := audit.Verify(path); err != nil || n != 4 {
		t.Fatalf("Verify = %d, %v; want 4 entries", n, err)
	}
}

func TestVerify_DetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(lines []string) []string
		want   string
	}{
		{"edited", func(l []string) []string { l[1] = strings.Replace(l[1], "no_hit", "hit", 1); return l }, "line 2: hash mismatch"},
		{"dropped", func(l []string) []string { return append(l[:1], l[2:]...) }, "line 2"},
		{"reordered", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }, "line 2"},
		{"truncated line", func(l []string) []string { l[2] = l[2][:20]; return l }, "line 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := MustLog(t, 4)
			b, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			os.WriteFile(path, []byte(strings.Join(tc.mutate(lines), "\n")+"\n"), 0o600)
			_, err := audit.Verify(path)
			if !fedmatch.IsCode(err, fedmatch.Malformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify: %v, want malformed naming %q", err, tc.want)
			}
			if _, err := audit.Open(path); err == nil {
				t.Fatal("Open extended a broken chain")
			}
		})
	}
}
