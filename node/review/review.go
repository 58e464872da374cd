// Package review is a node's queue of step-two disclosures waiting for a
// person at the node to confirm them: an append-only, fsynced JSON Lines
// file in the node's data directory, read by the running node and written
// by `fedmatch review` as well, so an operator needs no network access to
// the node to decide.
package review

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/fedmatch/fedmatch"
)

// File is the queue's name inside a node's data directory.
const File = "reviews.jsonl"

// line is one event in the file: a request, or a decision on one.
type line struct {
	Request  *fedmatch.ReviewRequest `json:"request,omitempty"`
	Decision *Decision               `json:"decision,omitempty"`
}

// Decision is an operator's answer to a review request.
type Decision struct {
	ID     string    `json:"id"`
	State  string    `json:"state"` // approved or denied
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
}

// Item is a request with its latest state.
type Item struct {
	fedmatch.ReviewRequest
	State    string    `json:"state"`
	Decision *Decision `json:"decision,omitempty"`
}

// Queue is a file-backed review queue. Writers in several processes
// append whole lines with O_APPEND, so lines never interleave.
type Queue struct {
	path string
	mu   sync.Mutex
}

var _ fedmatch.ReviewQueue = (*Queue)(nil)

// Open returns the queue in a node's data directory.
func Open(path string) *Queue { return &Queue{path: path} }

// Items reads the queue: every request with its latest state, in order.
// Errors: Internal, Malformed.
func (q *Queue) Items() ([]*Item, error) {
	const op = "review.Items"
	f, err := os.Open(q.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	defer f.Close()
	var items []*Item
	byID := map[string]*Item{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "%s line %d: %w", q.path, n, err)
		}
		switch {
		case l.Request != nil:
			if byID[l.Request.ID] == nil {
				it := &Item{ReviewRequest: *l.Request, State: fedmatch.ReviewPending}
				byID[it.ID], items = it, append(items, it)
			}
		case l.Decision != nil:
			if it := byID[l.Decision.ID]; it != nil {
				it.State, it.Decision = l.Decision.State, l.Decision
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return items, nil
}

// State implements fedmatch.ReviewQueue.
func (q *Queue) State(id string) (string, error) {
	items, err := q.Items()
	if err != nil {
		return "", err
	}
	for _, it := range items {
		if it.ID == id {
			return it.State, nil
		}
	}
	return "", nil
}

// Ask implements fedmatch.ReviewQueue.
func (q *Queue) Ask(r *fedmatch.ReviewRequest) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	st, err := q.State(r.ID)
	if err != nil || st != "" {
		return err
	}
	return q.append(&line{Request: r})
}

// Decide records an operator's decision on a pending request.
// Errors: NotFound, Exists (already decided), Invalid.
func (q *Queue) Decide(id, state, by, reason string, now time.Time) error {
	const op = "review.Decide"
	if state != fedmatch.ReviewApproved && state != fedmatch.ReviewDenied {
		return fedmatch.E(op, fedmatch.Invalid, "state must be approved or denied")
	}
	if by == "" {
		return fedmatch.E(op, fedmatch.Invalid, "a decision needs the name of who made it")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	st, err := q.State(id)
	switch {
	case err != nil:
		return err
	case st == "":
		return fedmatch.E(op, fedmatch.NotFound, "no review %q", id)
	case st != fedmatch.ReviewPending:
		return fedmatch.E(op, fedmatch.Exists, "review %q is already %s", id, st)
	}
	return q.append(&line{Decision: &Decision{ID: id, State: state, By: by, Reason: reason, Time: now.UTC()}})
}

func (q *Queue) append(l *line) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fedmatch.E("review.append", fedmatch.Internal, "%w", err)
	}
	f, err := os.OpenFile(q.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fedmatch.E("review.append", fedmatch.Internal, "%w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fedmatch.E("review.append", fedmatch.Internal, "%w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fedmatch.E("review.append", fedmatch.Internal, "%w", err)
	}
	return f.Close()
}
