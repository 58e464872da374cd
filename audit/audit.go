// Package audit is an append-only, hash-chained log with signed
// checkpoints. Each line holds an entry (or a checkpoint), its sequence
// number, the previous line's hash and its own hash over all three, so an
// edited, dropped or reordered line breaks the chain at a place Verify
// names. Append fsyncs before it returns: an entry that was acknowledged
// survives a crash.
//
// A hash chain alone can be rewritten whole by whoever holds the file.
// So every CheckpointEvery entries, on Checkpoint and on Close, the log
// writes a checkpoint line: the head of the chain signed with the
// writer's Ed25519 key (an agency's, or the brokers'). Verify with the
// federation's keys then detects a rewritten chain at the first checkpoint
// whose signature no longer holds. Entries after the last checkpoint are
// protected by the chain only; Verify reports how many there are.
package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fedmatch/fedmatch"
)

// Line is one line of the log as written to disk: an entry or a
// checkpoint.
type Line struct {
	Seq        uint64          `json:"seq"`
	Prev       string          `json:"prev"`
	Entry      json.RawMessage `json:"entry,omitempty"`
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	Hash       string          `json:"hash"`
}

// Checkpoint is a signed statement of the chain's head: the writer By
// signs that the line Covers has hash Head and that Entries entries
// precede it.
type Checkpoint struct {
	By      string    `json:"by"`
	Time    time.Time `json:"time"`
	Covers  uint64    `json:"covers"`
	Head    string    `json:"head"`
	Entries uint64    `json:"entries"`
	Sig     []byte    `json:"sig"`
}

// message is what a checkpoint's signature covers.
func (c *Checkpoint) message() []byte {
	return []byte(strings.Join([]string{"fedmatch-audit-checkpoint-v1", c.By, strconv.FormatUint(c.Covers, 10), c.Head,
		c.Time.UTC().Format(time.RFC3339Nano), strconv.FormatUint(c.Entries, 10)}, "\x00"))
}

// genesis is the prev hash of the first line.
var genesis = strings.Repeat("0", 64)

// lineHash hashes a line. Entry lines hash as in the first version of the
// format, so logs written before checkpoints still verify; a checkpoint's
// body is marked, and JSON cannot begin with the mark.
func lineHash(seq uint64, prev string, checkpoint bool, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "fedmatch-audit-v1\x00%d\x00%s\x00", seq, prev)
	if checkpoint {
		h.Write([]byte("checkpoint\x00"))
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// DefaultCheckpointEvery is how many entries pass between checkpoints.
const DefaultCheckpointEvery = 100

// Options configures Open.
type Options struct {
	// By names the writer: an agency id, or "broker". Append stamps it on
	// entries that name nobody, and checkpoints are signed in its name.
	By string
	// Key signs checkpoints; nil writes none (tests, and logs no one else
	// need trust).
	Key ed25519.PrivateKey
	// CheckpointEvery is how many entries pass between checkpoints; zero
	// means DefaultCheckpointEvery.
	CheckpointEvery int
	// Each, if set, receives every existing entry, in order, in the pass
	// that verifies the chain (a node seeds its quota counts this way
	// without reading its log twice).
	Each func(*fedmatch.AuditEntry)
}

// Log is an open audit log file.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	o    Options
	head state
}

var _ fedmatch.AuditLog = (*Log)(nil)

// state is where a chain stands after its last line.
type state struct {
	seq     uint64 // lines
	prev    string // the last line's hash
	entries uint64 // entry lines
	since   uint64 // entry lines after the last checkpoint
	signer  string // who signed the checkpoints
	signed  uint64 // checkpoint lines
}

// Open opens or creates the log at path, verifying the existing chain
// (and, with a key, its checkpoints) so that new entries extend an intact
// one. The file is locked: a second writer is refused rather than allowed
// to fork the chain. If entries follow the last checkpoint (the writer
// stopped without closing), a checkpoint is written at once.
// Errors: Malformed (the chain is broken), Unavailable (locked), Internal.
func Open(path string, o Options) (*Log, error) {
	const op = "audit.Open"
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, fedmatch.E(op, fedmatch.Unavailable, "%s is in use by another process: %w", path, err)
	}
	var keys Keys
	if o.Key != nil {
		pub := o.Key.Public().(ed25519.PublicKey)
		keys = func(by string) (ed25519.PublicKey, error) {
			if by != o.By {
				return nil, fmt.Errorf("checkpoint by %q in a log written by %q", by, o.By)
			}
			return pub, nil
		}
	}
	st, err := scan(f, keys, o.Each)
	if err != nil {
		f.Close()
		return nil, fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	l := &Log{f: f, o: o, head: st}
	if err := l.Checkpoint(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// Append writes e as the next line and fsyncs it, with a checkpoint after
// it when one is due.
func (l *Log) Append(e *fedmatch.AuditEntry) error {
	const op = "audit.Append"
	if e.By == "" {
		stamped := *e
		stamped.By, e = l.o.By, &stamped
	}
	eb, err := json.Marshal(e)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fedmatch.E(op, fedmatch.Unavailable, "log is closed")
	}
	next := l.head
	buf, err := next.line(eb, false)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if l.o.Key != nil && next.since >= uint64(l.o.CheckpointEvery) {
		cp, err := l.checkpoint(&next)
		if err != nil {
			return fedmatch.E(op, fedmatch.Internal, "%w", err)
		}
		buf = append(buf, cp...)
	}
	if err := l.write(buf); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	l.head = next
	return nil
}

// Checkpoint signs the chain's head now, if entries were added since the
// last checkpoint and the log has a key. A node calls it on a timer, so
// that a quiet log does not leave its last entries unsigned for long.
// Errors: Internal.
func (l *Log) Checkpoint() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.o.Key == nil || l.head.since == 0 {
		return nil
	}
	next := l.head
	b, err := l.checkpoint(&next)
	if err == nil {
		err = l.write(b)
	}
	if err != nil {
		return fedmatch.E("audit.Checkpoint", fedmatch.Internal, "%w", err)
	}
	l.head = next
	return nil
}

// checkpoint returns the checkpoint line after s, advancing s.
func (l *Log) checkpoint(s *state) ([]byte, error) {
	c := &Checkpoint{By: l.o.By, Time: time.Now().UTC(), Covers: s.seq, Head: s.prev, Entries: s.entries}
	c.Sig = ed25519.Sign(l.o.Key, c.message())
	cb, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return s.line(cb, true)
}

// line returns the line holding body after s, advancing s.
func (s *state) line(body []byte, checkpoint bool) ([]byte, error) {
	l := Line{Seq: s.seq + 1, Prev: s.prev, Hash: lineHash(s.seq+1, s.prev, checkpoint, body)}
	if checkpoint {
		l.Checkpoint = body
	} else {
		l.Entry = body
	}
	b, err := json.Marshal(&l)
	if err != nil {
		return nil, err
	}
	s.advance(l.Hash, checkpoint)
	return append(b, '\n'), nil
}

// advance moves s past a line with hash h.
func (s *state) advance(h string, checkpoint bool) {
	s.seq, s.prev = s.seq+1, h
	if checkpoint {
		s.since, s.signed = 0, s.signed+1
	} else {
		s.entries, s.since = s.entries+1, s.since+1
	}
}

func (l *Log) write(b []byte) error {
	if _, err := l.f.Write(b); err != nil {
		return err
	}
	return l.f.Sync()
}

// Close writes a last checkpoint and closes the log.
func (l *Log) Close() error {
	cerr := l.Checkpoint()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return cerr
	}
	err := l.f.Close()
	l.f = nil
	return errors.Join(cerr, err)
}

// Keys gives the public key checkpoints signed by a writer must verify
// with. *certs.Trust's AuditKey is one.
type Keys func(by string) (ed25519.PublicKey, error)

// Report is what Verify found.
type Report struct {
	Entries     int    // entry lines
	Checkpoints int    // checkpoint lines
	Signer      string // who signed the checkpoints
	Unsigned    int    // entries after the last checkpoint
	Checked     bool   // the signatures were verified against keys
}

// Verify checks the chain of the log at path and, if keys is not nil,
// every checkpoint's signature. Errors: Malformed, naming the first bad
// line; NotFound.
func Verify(path string, keys Keys) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fedmatch.E("audit.Verify", fedmatch.NotFound, "%w", err)
		}
		return nil, fedmatch.E("audit.Verify", fedmatch.Internal, "%w", err)
	}
	defer f.Close()
	st, err := scan(f, keys, nil)
	if err != nil {
		return nil, err
	}
	return &Report{Entries: int(st.entries), Checkpoints: int(st.signed), Signer: st.signer, Unsigned: int(st.since), Checked: keys != nil}, nil
}

// Read returns every entry of the log at path, verifying the chain (not
// the signatures). Errors: as Verify.
func Read(path string) ([]*fedmatch.AuditEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fedmatch.E("audit.Read", fedmatch.NotFound, "%w", err)
	}
	defer f.Close()
	var out []*fedmatch.AuditEntry
	_, err = scan(f, nil, func(e *fedmatch.AuditEntry) { out = append(out, e) })
	return out, err
}

// scan verifies a log line by line: sequence, link, hash, and each
// checkpoint's place, count and (with keys) signature.
func scan(r io.Reader, keys Keys, each func(*fedmatch.AuditEntry)) (state, error) {
	const op = "audit.Verify"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	s := state{prev: genesis}
	for sc.Scan() {
		n := s.seq + 1
		var l Line
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		if err := d.Decode(&l); err != nil {
			return s, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", n, err)
		}
		checkpoint := l.Checkpoint != nil
		body := l.Entry
		if checkpoint {
			body = l.Checkpoint
		}
		switch {
		case (l.Entry == nil) == (l.Checkpoint == nil):
			return s, fedmatch.E(op, fedmatch.Malformed, "line %d: holds neither or both of an entry and a checkpoint", n)
		case l.Seq != n:
			return s, fedmatch.E(op, fedmatch.Malformed, "line %d: sequence %d, want %d (a line was dropped or reordered)", n, l.Seq, n)
		case l.Prev != s.prev:
			return s, fedmatch.E(op, fedmatch.Malformed, "line %d: does not follow line %d (a line was dropped, reordered or edited)", n, s.seq)
		case lineHash(l.Seq, l.Prev, checkpoint, body) != l.Hash:
			return s, fedmatch.E(op, fedmatch.Malformed, "line %d: hash mismatch (the line was edited)", n)
		}
		if checkpoint {
			if err := s.check(n, body, keys); err != nil {
				return s, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", n, err)
			}
		} else if each != nil {
			e := &fedmatch.AuditEntry{}
			if err := json.Unmarshal(body, e); err != nil {
				return s, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", n, err)
			}
			each(e)
		}
		s.advance(l.Hash, checkpoint)
	}
	if err := sc.Err(); err != nil {
		return s, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", s.seq+1, err)
	}
	return s, nil
}

// check verifies the checkpoint body at line n against the chain so far.
func (s *state) check(n uint64, body []byte, keys Keys) error {
	var c Checkpoint
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	switch {
	case c.Covers != n-1 || c.Entries != s.entries:
		return fmt.Errorf("checkpoint covers line %d (%d entries), but stands after line %d (%d entries)", c.Covers, c.Entries, n-1, s.entries)
	case c.Head != s.prev:
		return fmt.Errorf("checkpoint signs another hash for line %d: the lines before it were rewritten", n-1)
	case s.signer != "" && c.By != s.signer:
		return fmt.Errorf("checkpoint by %q in a log whose checkpoints are by %q", c.By, s.signer)
	}
	s.signer = c.By
	if keys == nil {
		return nil
	}
	key, err := keys(c.By)
	if err != nil {
		return fmt.Errorf("checkpoint by %q: %w", c.By, err)
	}
	if !ed25519.Verify(key, c.message(), c.Sig) {
		return fmt.Errorf("checkpoint signature by %q does not verify: the lines before it were rewritten", c.By)
	}
	return nil
}
