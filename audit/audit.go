// Package audit is an append-only, hash-chained log. Each line holds an
// entry, its sequence number, the previous line's hash and its own hash
// over all three, so an edited, dropped or reordered line breaks the chain
// at a place Verify names. Append fsyncs before it returns: an entry that
// was acknowledged survives a crash.
package audit

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fedmatch/fedmatch"
)

// Line is one line of the log as written to disk.
type Line struct {
	Seq   uint64               `json:"seq"`
	Prev  string               `json:"prev"`
	Entry *fedmatch.AuditEntry `json:"entry"`
	Hash  string               `json:"hash"`
}

// genesis is the prev hash of the first line.
var genesis = strings.Repeat("0", 64)

func lineHash(seq uint64, prev string, entry []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "fedmatch-audit-v1\x00%d\x00%s\x00", seq, prev)
	h.Write(entry)
	return hex.EncodeToString(h.Sum(nil))
}

// Log is an open audit log file.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	seq  uint64
	prev string
}

var _ fedmatch.AuditLog = (*Log)(nil)

// Open opens or creates the log at path, verifying the existing chain so
// that new entries extend an intact one. Errors: Malformed (the chain is
// broken), Internal.
func Open(path string) (*Log, error) { return OpenEach(path, nil) }

// OpenEach is Open that also passes each existing entry to each, in order,
// in the same pass that verifies the chain (a node seeds its quota counts
// this way without reading its log twice).
func OpenEach(path string, each func(*fedmatch.AuditEntry)) (*Log, error) {
	const op = "audit.Open"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	var visit func(*Line)
	if each != nil {
		visit = func(l *Line) { each(l.Entry) }
	}
	n, last, err := scan(f, visit)
	if err != nil {
		f.Close()
		return nil, fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	return &Log{f: f, seq: n, prev: last}, nil
}

// Append writes e as the next line and fsyncs it.
func (l *Log) Append(e *fedmatch.AuditEntry) error {
	const op = "audit.Append"
	eb, err := json.Marshal(e)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fedmatch.E(op, fedmatch.Unavailable, "log is closed")
	}
	seq := l.seq + 1
	h := lineHash(seq, l.prev, eb)
	b, err := json.Marshal(struct {
		Seq   uint64          `json:"seq"`
		Prev  string          `json:"prev"`
		Entry json.RawMessage `json:"entry"`
		Hash  string          `json:"hash"`
	}{seq, l.prev, eb, h})
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	l.seq, l.prev = seq, h
	return nil
}

// Close closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Verify checks the chain of the log at path and returns how many entries
// it holds. Errors: Malformed, naming the first bad line; NotFound.
func Verify(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fedmatch.E("audit.Verify", fedmatch.NotFound, "%w", err)
		}
		return 0, fedmatch.E("audit.Verify", fedmatch.Internal, "%w", err)
	}
	defer f.Close()
	n, _, err := verify(f)
	return int(n), err
}

// Read returns every entry of the log at path, verifying the chain.
func Read(path string) ([]*fedmatch.AuditEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fedmatch.E("audit.Read", fedmatch.NotFound, "%w", err)
	}
	defer f.Close()
	var out []*fedmatch.AuditEntry
	_, _, err = scan(f, func(l *Line) { out = append(out, l.Entry) })
	return out, err
}

func verify(r io.Reader) (uint64, string, error) { return scan(r, nil) }

func scan(r io.Reader, each func(*Line)) (uint64, string, error) {
	const op = "audit.Verify"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	seq, prev := uint64(0), genesis
	for sc.Scan() {
		var raw struct {
			Seq   uint64          `json:"seq"`
			Prev  string          `json:"prev"`
			Entry json.RawMessage `json:"entry"`
			Hash  string          `json:"hash"`
		}
		n := seq + 1
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", n, err)
		}
		switch {
		case raw.Seq != n:
			return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: sequence %d, want %d (a line was dropped or reordered)", n, raw.Seq, n)
		case raw.Prev != prev:
			return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: does not follow line %d (a line was dropped, reordered or edited)", n, seq)
		case lineHash(raw.Seq, raw.Prev, raw.Entry) != raw.Hash:
			return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: hash mismatch (the entry was edited)", n)
		}
		if each != nil {
			l := &Line{Seq: raw.Seq, Prev: raw.Prev, Hash: raw.Hash, Entry: &fedmatch.AuditEntry{}}
			if err := json.Unmarshal(raw.Entry, l.Entry); err != nil {
				return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", n, err)
			}
			each(l)
		}
		seq, prev = n, raw.Hash
	}
	if err := sc.Err(); err != nil {
		return seq, prev, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", seq+1, err)
	}
	return seq, prev, nil
}
