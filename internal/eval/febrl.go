// Package eval measures the matcher on public benchmark data, through the
// real store (go-memdb indexes) and the real matcher, as a node runs them.
package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
)

// Row is one FEBRL record with its ground-truth entity.
type Row struct {
	Entity string // "N" of rec-N-org / rec-N-dup-K
	Record *fedmatch.Record
}

var recID = regexp.MustCompile(`^rec-(\d+)-(org|dup-\d+)$`)

// ReadFEBRL reads a FEBRL-format CSV (rec_id, given_name, surname,
// street_number, address_1, address_2, suburb, postcode, state,
// date_of_birth YYYYMMDD, soc_sec_id) as records: names, the date of
// birth when it is a real date, the address, and the social security id
// as a national identity document. Errors: Malformed, naming the line.
func ReadFEBRL(r io.Reader) ([]Row, error) {
	const op = "eval.ReadFEBRL"
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = 11
	head, err := cr.Read()
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "header: %w", err)
	}
	if strings.TrimSpace(head[0]) != "rec_id" || strings.TrimSpace(head[9]) != "date_of_birth" {
		return nil, fedmatch.E(op, fedmatch.Malformed, "header %v is not FEBRL's", head)
	}
	var rows []Row
	for line := 2; ; line++ {
		f, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: %w", line, err)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		m := recID.FindStringSubmatch(f[0])
		if m == nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: rec_id %q is not rec-N-org or rec-N-dup-K", line, f[0])
		}
		rec := &fedmatch.Record{ID: f[0], Category: fedmatch.TravellerOfInterest, CollectedAt: "2025-01-01", RetentionUntil: "2099-12-31",
			Surname: f[2], GivenNames: f[1], Address: strings.Join(nonEmpty(f[3], f[4], f[5], f[6], f[7], f[8]), ", ")}
		if d := f[9]; len(d) == 8 {
			if _, err := time.Parse("20060102", d); err == nil {
				rec.DateOfBirth = fedmatch.Date(d[0:4] + "-" + d[4:6] + "-" + d[6:8])
			}
		}
		if f[10] != "" {
			rec.Documents = []fedmatch.Document{{Type: "national-id", Number: f[10], IssuingState: "AUS"}}
		}
		rows = append(rows, Row{Entity: m[1], Record: rec})
	}
	return rows, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Scored is one candidate pair the matcher scored.
type Scored struct {
	Score float64
	True  bool
}

// Result is a linkage evaluation.
type Result struct {
	Records, Probes int
	TruePairs       int      // (probe, record) pairs of the same entity
	Blocked         int      // true pairs that reached the matcher through the indexes
	Pairs           []Scored // every candidate pair scored, with its truth
	Elapsed         time.Duration
}

// BlockingRecall is the share of true pairs the indexes let through.
func (r *Result) BlockingRecall() float64 {
	if r.TruePairs == 0 {
		return 1
	}
	return float64(r.Blocked) / float64(r.TruePairs)
}

// Point is precision, recall and F1 at one threshold.
type Point struct {
	Threshold, Precision, Recall, F1 float64
	TP, FP, FN                       int
}

// Curve evaluates every distinct score as a threshold, best F1 last among
// equals; recall counts true pairs lost to blocking as missed.
func (r *Result) Curve() []Point {
	pairs := append([]Scored(nil), r.Pairs...)
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Score > pairs[j].Score })
	var pts []Point
	tp, fp := 0, 0
	for i, p := range pairs {
		if p.True {
			tp++
		} else {
			fp++
		}
		if i+1 < len(pairs) && pairs[i+1].Score == p.Score {
			continue
		}
		pt := Point{Threshold: p.Score, TP: tp, FP: fp, FN: r.TruePairs - tp}
		pt.Precision = float64(tp) / float64(tp+fp)
		pt.Recall = float64(tp) / float64(r.TruePairs)
		if pt.Precision+pt.Recall > 0 {
			pt.F1 = 2 * pt.Precision * pt.Recall / (pt.Precision + pt.Recall)
		}
		pts = append(pts, pt)
	}
	return pts
}

// Best is the threshold with the highest F1.
func (r *Result) Best() Point {
	var best Point
	for _, p := range r.Curve() {
		if p.F1 > best.F1 {
			best = p
		}
	}
	return best
}

// Summary is the one closing line the issue asks for.
func (r *Result) Summary() string {
	b := r.Best()
	return fmt.Sprintf("precision %.4f recall %.4f f1 %.4f threshold %.3f", b.Precision, b.Recall, b.F1, b.Threshold)
}
