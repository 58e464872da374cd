// Package store keeps a node's records: an in-memory go-memdb index for
// the matcher's lookups over durable JSON Lines segments in the node's data
// directory, so records survive a restart.
//
// An import is validated whole, then written as one new segment (a
// temporary file, fsynced, linked into place, the folder fsynced) before it
// is indexed: it is applied entirely or not at all, and acknowledged only
// once it is on disk.
package store

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/durable"
)

// SegmentDir is the folder, inside a node's data directory, of record segments.
const SegmentDir = "records"

// MaxLineBytes bounds one record's JSON line.
const MaxLineBytes = 1 << 20

const table = "records"

// entry is what memdb holds: the record, its blocking keys and the
// matcher's comparison fields. Entries are never modified once inserted;
// readers get clones of the record.
type entry struct {
	ID     string
	Keys   []string
	Rec    *fedmatch.Record
	Fields any
	until  time.Time // end of retention, parsed once
	cat    uint8     // the record's category, as its place in fedmatch.Categories()
}

func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		table: {Name: table, Indexes: map[string]*memdb.IndexSchema{
			"id":  {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			"key": {Name: "key", AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "Keys"}},
		}},
	}}
}

// Store is a node's record store.
type Store struct {
	dir   string
	index fedmatch.Indexer
	bio   fedmatch.BiometricIndex // nil: records' templates are kept, not searched
	log   *slog.Logger
	db    *memdb.MemDB
	n     atomic.Int64
	mu    sync.Mutex // serialises imports
	// sizes counts the records filed under each blocking key, up to
	// MaxBucket+1, so a search learns from one lookup whether a key is
	// empty, narrow or too common without walking its records. It runs
	// ahead of what a search's snapshot may hold, which at worst makes a
	// key count as common a few records early.
	sizesMu sync.RWMutex
	sizes   map[string]int32
}

var _ fedmatch.Store = (*Store)(nil)

// Option configures a store.
type Option func(*Store)

// WithBiometrics files every record's fingerprint and face templates in
// bio, and lets SearchBiometric search them.
func WithBiometrics(bio fedmatch.BiometricIndex) Option {
	return func(s *Store) { s.bio = bio }
}

// Open loads the records in dir (creating it if needed), indexing each
// with index. Errors: Internal, Malformed (a segment on
// disk does not parse: the data directory was edited by hand).
func Open(dir string, index fedmatch.Indexer, log *slog.Logger, opts ...Option) (*Store, error) {
	const op = "store.Open"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	// The store indexes into a snapshot of the new database. go-memdb
	// tracks every mutated radix node of its primary database for watch
	// channels, and once a commit touches more than 8,192 of them it diffs
	// the whole tree: imports of thousands of records then cost seconds
	// per commit, growing with the store (15 s for 100,000 records into an
	// empty store, in batches of 1,000). A snapshot is a complete database
	// that skips that tracking, and the store uses no watch channels, so
	// an import can be one transaction: readers see all of it or none.
	s := &Store{dir: filepath.Join(dir, SegmentDir), index: index, log: log, db: db.Snapshot(), sizes: map[string]int32{}}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	segs, err := s.segments()
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	start := time.Now()
	for _, seg := range segs {
		f, err := os.Open(filepath.Join(s.dir, seg))
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
		}
		recs, err := Decode(f)
		f.Close()
		if err != nil {
			return nil, fedmatch.Wrap(op, fedmatch.Malformed, fmt.Errorf("segment %s: %w", seg, err))
		}
		if err := s.insert(recs); err != nil {
			return nil, fedmatch.Wrap(op, fedmatch.Malformed, fmt.Errorf("segment %s: %w", seg, err))
		}
	}
	log.Info("store opened", "dir", dir, "records", s.Len(), "segments", len(segs), "took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// NewMemory returns a store that indexes records but writes nothing: for
// benchmarks and evaluations of the matcher, never for a node, whose
// records must survive a restart.
func NewMemory(index fedmatch.Indexer, opts ...Option) (*Store, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fedmatch.E("store.NewMemory", fedmatch.Internal, "%w", err)
	}
	s := &Store{index: index, log: slog.New(slog.DiscardHandler), db: db.Snapshot(), sizes: map[string]int32{}}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// segments lists segment files in order.
func (s *Store) segments() ([]string, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		if n := de.Name(); strings.HasSuffix(n, ".jsonl") && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Decode reads JSON Lines records, strictly: unknown fields are refused
// (a misspelt "retention_untill" must not silently drop a retention date),
// every record is validated, and ids are unique within the input. The
// error names the first bad line. Errors: Malformed, TooLarge.
func Decode(r io.Reader) ([]*fedmatch.Record, error) {
	const op = "store.Decode"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	var recs []*fedmatch.Record
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var rec fedmatch.Record
		if err := dec.Decode(&rec); err != nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", line, err)
		}
		if dec.More() {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: more than one JSON value", line)
		}
		if err := rec.Validate(); err != nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d (id %q): %w", line, rec.ID, err)
		}
		if first, dup := seen[rec.ID]; dup {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: id %q already on line %d", line, rec.ID, first)
		}
		seen[rec.ID] = line
		recs = append(recs, &rec)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fedmatch.E(op, fedmatch.TooLarge, "line %d: longer than %d bytes", line+1, MaxLineBytes)
		}
		return nil, fedmatch.E(op, fedmatch.Internal, "line %d: %w", line+1, err)
	}
	return recs, nil
}

// Import reads JSON Lines records from r and adds them all, or none: any
// bad line or an id already held refuses the whole import and changes
// nothing. It returns how many records were added once they are on disk.
// Errors: Malformed, TooLarge, Exists, Internal.
func (s *Store) Import(r io.Reader) (int, error) {
	const op = "store.Import"
	recs, err := Decode(r)
	if err != nil {
		return 0, fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	return s.Add(recs)
}

// Add stores recs durably and indexes them, all or none. Errors: Malformed,
// Exists, Unsupported (a face from a model the node does not hold), Internal.
func (s *Store) Add(recs []*fedmatch.Record) (int, error) {
	const op = "store.Add"
	if len(recs) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	txn := s.db.Txn(false)
	seen := map[string]bool{}
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			return 0, fedmatch.E(op, fedmatch.Malformed, "record %q: %w", r.ID, err)
		}
		if seen[r.ID] {
			return 0, fedmatch.E(op, fedmatch.Malformed, "id %q given twice", r.ID)
		}
		seen[r.ID] = true
		if got, _ := txn.First(table, "id", r.ID); got != nil {
			return 0, fedmatch.E(op, fedmatch.Exists, "record %q is already held", r.ID)
		}
		if s.bio != nil {
			if err := s.bio.Check(r); err != nil {
				return 0, fedmatch.Wrap(op, fedmatch.Malformed, fmt.Errorf("record %q: %w", r.ID, err))
			}
		}
	}
	if s.dir != "" { // NewMemory stores write nothing
		if err := s.writeSegment(recs); err != nil {
			return 0, fedmatch.E(op, fedmatch.Internal, "%w", err)
		}
	}
	if err := s.insert(recs); err != nil {
		return 0, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	s.log.Info("records imported", "count", len(recs), "total", s.Len())
	return len(recs), nil
}

// writeSegment writes recs as a new segment file, durably, never
// overwriting an existing one.
func (s *Store) writeSegment(recs []*fedmatch.Record) error {
	fill := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	for range 100 { // a name taken by a concurrent import: try the next instant
		name := fmt.Sprintf("%s-%09d.jsonl", time.Now().UTC().Format("20060102T150405.000000000"), len(recs))
		if err = durable.Write(filepath.Join(s.dir, name), 0o600, true, fill); !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return err
}

// insert indexes recs in one transaction.
func (s *Store) insert(recs []*fedmatch.Record) error {
	txn := s.db.Txn(true)
	keys := make([][]string, len(recs))
	for i, r := range recs {
		c := r.Clone()
		ix := s.index.Index(c)
		keys[i] = ix.Keys
		until, _ := c.RetainedUntil().EndTime()                // validated: a full date
		cat := slices.Index(fedmatch.Categories(), c.Category) // validated: known
		if err := txn.Insert(table, &entry{ID: c.ID, Keys: ix.Keys, Rec: c, Fields: ix.Fields, until: until, cat: uint8(cat)}); err != nil {
			txn.Abort()
			return err
		}
	}
	// Sizes are counted before the records are visible, so that a search
	// never finds a key empty that its snapshot holds records under.
	for _, ks := range keys {
		// Per record, so searches are not held up for a whole import.
		s.sizesMu.Lock()
		for _, k := range ks {
			if n := s.sizes[k]; n <= MaxBucket {
				s.sizes[k] = n + 1
			}
		}
		s.sizesMu.Unlock()
	}
	txn.Commit()
	s.n.Add(int64(len(recs)))
	if s.bio != nil {
		for _, r := range recs {
			s.bio.Add(r.ID, r.Clone())
		}
	}
	return nil
}

// MaxBucket is how many records one blocking key may reach before it is
// too common to be useful (a frequent surname in a birth year): such a key
// is skipped whenever a more selective key of the probe reaches
// something, so common names do not make every query scan hundreds of
// candidates, and rare ones lose nothing.
const MaxBucket = 128

// Search scores the retained records in categories that share a blocking
// key with q, skipping keys too common to be useful (see MaxBucket) when
// other keys find candidates, and scoring at most limit candidates (0: no
// limit). Only matches are copied out.
func (s *Store) Search(q fedmatch.Query, categories []fedmatch.Category, now time.Time, limit int) ([]fedmatch.Match, int, error) {
	const op = "store.Search"
	txn := s.db.Txn(false)
	read := func(k string, n int32) ([]*entry, error) {
		it, err := txn.Get(table, "key", k)
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
		}
		bucket := make([]*entry, 0, n)
		for obj := it.Next(); obj != nil; obj = it.Next() {
			bucket = append(bucket, obj.(*entry))
		}
		return bucket, nil
	}
	// Each key's size says whether it is empty, narrow or too common: at
	// a million records, walking common buckets only to skip them cost
	// more than scoring the candidates.
	keys := q.Keys()
	sizes := make([]int32, len(keys))
	s.sizesMu.RLock()
	for i, k := range keys {
		sizes[i] = s.sizes[k]
	}
	s.sizesMu.RUnlock()
	var selective [][]*entry
	var common []string
	for i, k := range keys {
		switch {
		case sizes[i] == 0:
		case sizes[i] > MaxBucket:
			common = append(common, k)
		default:
			b, err := read(k, sizes[i])
			if err != nil {
				return nil, 0, err
			}
			selective = append(selective, b)
		}
	}
	if len(selective) == 0 { // nothing narrower: the common keys are all there is
		for _, k := range common {
			b, err := read(k, MaxBucket+1)
			if err != nil {
				return nil, 0, err
			}
			selective = append(selective, b)
		}
	}
	total := 0
	for _, b := range selective {
		total += len(b)
	}
	permitted := categoryMask(categories)
	seen := make(map[*entry]struct{}, total)
	var out []fedmatch.Match
	scored := 0
	for _, bucket := range selective {
		for _, e := range bucket {
			if _, dup := seen[e]; dup {
				continue
			}
			seen[e] = struct{}{}
			if !e.searchable(now, permitted) {
				continue
			}
			if limit > 0 && scored >= limit {
				break
			}
			scored++
			if m, ok := q.Score(e.Rec, e.Fields); ok {
				m.Record = e.Rec.Clone()
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b fedmatch.Match) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Record.ID, b.Record.ID))
	})
	return out, scored, nil
}

// searchable reports whether e may be matched at now by a search of the
// categories in permitted (categoryMask): retained, and of one of them.
func (e *entry) searchable(now time.Time, permitted uint64) bool {
	return now.Before(e.until) && permitted&(1<<e.cat) != 0
}

// categoryMask has bit i set when categories holds fedmatch.Categories()[i]:
// a candidate's category is then checked without comparing strings.
func categoryMask(categories []fedmatch.Category) uint64 {
	var m uint64
	for i, c := range fedmatch.Categories() {
		if slices.Contains(categories, c) {
			m |= 1 << i
		}
	}
	return m
}

// SearchBiometric searches the biometric index and keeps the retained
// records in categories (see fedmatch.Store). Candidates are what reaches
// two decades of evidence (a false-match rate of 1 %): weaker is noise.
func (s *Store) SearchBiometric(p *fedmatch.Probe, categories []fedmatch.Category, now time.Time, limit int) ([]fedmatch.Match, error) {
	const op = "store.SearchBiometric"
	if s.bio == nil {
		return nil, fedmatch.E(op, fedmatch.Unsupported, "this node holds no biometric index")
	}
	if limit <= 0 {
		limit = 100
	}
	hits, err := s.bio.Search(p, limit, 2)
	if err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Internal, err)
	}
	txn := s.db.Txn(false)
	permitted := categoryMask(categories)
	var out []fedmatch.Match
	for _, h := range hits {
		obj, err := txn.First(table, "id", h.ID)
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
		}
		if obj == nil {
			continue
		}
		e := obj.(*entry)
		if !e.searchable(now, permitted) {
			continue
		}
		m := fedmatch.Match{Record: e.Rec.Clone(), Kind: h.Kinds[0], Decades: h.Decades}
		if len(h.Kinds) > 1 {
			m.Kinds = h.Kinds
		}
		out = append(out, m)
	}
	return out, nil
}

// Get returns a clone of the record with id. Errors: NotFound.
func (s *Store) Get(id string) (*fedmatch.Record, error) {
	obj, err := s.db.Txn(false).First(table, "id", id)
	if err != nil {
		return nil, fedmatch.E("store.Get", fedmatch.Internal, "%w", err)
	}
	if obj == nil {
		return nil, fedmatch.E("store.Get", fedmatch.NotFound, "no record %q", id)
	}
	return obj.(*entry).Rec.Clone(), nil
}

// Records returns copies of every record held, in id order: for
// estimating the matcher's model from the node's own data.
func (s *Store) Records() ([]*fedmatch.Record, error) {
	it, err := s.db.Txn(false).Get(table, "id")
	if err != nil {
		return nil, fedmatch.E("store.Records", fedmatch.Internal, "%w", err)
	}
	var out []*fedmatch.Record
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*entry).Rec.Clone())
	}
	return out, nil
}

// Len returns how many records the store holds.
func (s *Store) Len() int { return int(s.n.Load()) }
