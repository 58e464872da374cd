package durable_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fedmatch/fedmatch/internal/durable"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := durable.WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := durable.WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	err := durable.Write(p, 0o600, true, func(w io.Writer) error { _, err := w.Write([]byte("three")); return err })
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("exclusive write over a file: %v", err)
	}
	boom := errors.New("boom")
	if err := durable.Write(filepath.Join(dir, "g"), 0o600, false, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed fill: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("left %d files behind, want only f", len(ents))
	}
}
