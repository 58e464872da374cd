package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fedmatch/fedmatch"
)

// Config weighs the biographic comparisons. Weights are renormalised over
// the fields both probe and record hold, so a missing field neither helps
// nor hurts.
type Config struct {
	SurnameWeight float64
	GivenWeight   float64
	DOBWeight     float64
	// MinSurname is the surname similarity below which a record is not a
	// candidate at all, however well the rest agrees.
	MinSurname float64
	// SexMismatch multiplies the score when both sides state a sex and
	// they differ.
	SexMismatch float64
	// Floor is the lowest score reported; policy raises it per purpose.
	Floor float64
}

// DefaultConfig returns the weights used unless a node is configured
// otherwise.
func DefaultConfig() Config {
	return Config{SurnameWeight: 0.45, GivenWeight: 0.30, DOBWeight: 0.25, MinSurname: 0.80, SexMismatch: 0.85, Floor: 0.70}
}

// Matcher matches biographic data and documents. It is a pure function of
// probe and record and safe for concurrent use.
type Matcher struct {
	cfg Config
}

var _ fedmatch.Matcher = (*Matcher)(nil)

// New returns a matcher with cfg.
func New(cfg Config) *Matcher { return &Matcher{cfg: cfg} }

// Blocking key prefixes: a probe reaches a record only through a key they
// share, so every way a record can match must produce a key on both sides.
// Keys are narrow (name prefix with birth year, full date of birth) so a
// common surname does not pull in thousands of candidates; only a probe
// without a date of birth falls back to the whole surname.
const (
	keyDoc     = "doc:" // issuing state + document number
	keySurname = "sn:"  // compact surname (or alias surname)
	keyDOB     = "dob:" // full date of birth
	keyPrefix  = "sy:"  // first three letters of surname + birth year
)

// RecordKeys returns the blocking keys of a record.
func (m *Matcher) RecordKeys(r *fedmatch.Record) []string {
	var ks []string
	for _, d := range r.Documents {
		ks = append(ks, docKey(d))
	}
	for _, n := range append([]string{r.Surname}, aliasSurnames(r.Aliases)...) {
		c := Compact(n)
		if c == "" {
			continue
		}
		ks = append(ks, keySurname+c)
		if y := r.DateOfBirth.Year(); y != "" {
			ks = append(ks, prefixKey(c, y))
		}
	}
	if r.DateOfBirth.Full() {
		ks = append(ks, keyDOB+string(r.DateOfBirth))
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// ProbeKeys returns the blocking keys of a probe: its documents; with a
// date of birth, the name prefix with the birth year and the years either
// side, and the date itself and with day and month swapped; without one,
// the whole surname.
func (m *Matcher) ProbeKeys(p *fedmatch.Probe) []string {
	var ks []string
	for _, d := range p.Documents {
		ks = append(ks, docKey(d))
	}
	c := Compact(p.Surname)
	if c == "" {
		return ks
	}
	dob := p.DateOfBirth
	if y := dob.Year(); y != "" {
		n := int(y[0]-'0')*1000 + int(y[1]-'0')*100 + int(y[2]-'0')*10 + int(y[3]-'0')
		for _, yy := range []int{n - 1, n, n + 1} {
			ks = append(ks, prefixKey(c, fmt.Sprintf("%04d", yy)))
		}
	} else {
		ks = append(ks, keySurname+c)
	}
	if dob.Full() {
		ks = append(ks, keyDOB+string(dob))
		if swapped := fedmatch.Date(dob.Year() + "-" + dob.Day() + "-" + dob.Month()); swapped.Validate() == nil {
			ks = append(ks, keyDOB+string(swapped))
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

func prefixKey(compact, year string) string {
	p := []rune(compact)
	return keyPrefix + string(p[:min(3, len(p))]) + year
}

func docKey(d fedmatch.Document) string {
	return keyDoc + strings.ToUpper(strings.TrimSpace(d.IssuingState)) + ":" + DocNumber(d.Number)
}

// aliasSurnames takes the last word of each alias as its surname.
func aliasSurnames(aliases []string) []string {
	var out []string
	for _, a := range aliases {
		if f := strings.Fields(Normalize(a)); len(f) > 0 {
			out = append(out, f[len(f)-1])
		}
	}
	return out
}

// Score compares probe p with record r. A document match (same number and
// issuing state) scores 1; otherwise names and date of birth are compared
// after normalisation and weighed.
func (m *Matcher) Score(p *fedmatch.Probe, r *fedmatch.Record) (fedmatch.Match, bool) {
	for _, pd := range p.Documents {
		for _, rd := range r.Documents {
			if docKey(pd) == docKey(rd) {
				return fedmatch.Match{Record: r, Kind: fedmatch.KindDocument, Score: 1}, true
			}
		}
	}
	if p.Surname == "" {
		return fedmatch.Match{}, false
	}
	s := m.biographic(p, r)
	if s < m.cfg.Floor {
		return fedmatch.Match{}, false
	}
	return fedmatch.Match{Record: r, Kind: fedmatch.KindBiographic, Score: s}, true
}

func (m *Matcher) biographic(p *fedmatch.Probe, r *fedmatch.Record) float64 {
	ps := Compact(p.Surname)
	sn := JaroWinkler(ps, Compact(r.Surname))
	for _, a := range aliasSurnames(r.Aliases) {
		sn = max(sn, JaroWinkler(ps, a))
	}
	if sn < m.cfg.MinSurname {
		return 0
	}
	total, weight := sn*m.cfg.SurnameWeight, m.cfg.SurnameWeight
	if p.GivenNames != "" && r.GivenNames != "" {
		total += TokenSetSimilarity(p.GivenNames, r.GivenNames) * m.cfg.GivenWeight
		weight += m.cfg.GivenWeight
	}
	if p.DateOfBirth != "" && r.DateOfBirth != "" {
		total += DateSimilarity(p.DateOfBirth, r.DateOfBirth) * m.cfg.DOBWeight
		weight += m.cfg.DOBWeight
	}
	s := total / weight
	if p.Sex != "" && r.Sex != "" && !strings.EqualFold(p.Sex, r.Sex) {
		s *= m.cfg.SexMismatch
	}
	return s
}

// TokenSetSimilarity compares two name lists order-free: each token of the
// shorter list is paired with its most similar token in the other, an
// initial matching any token that starts with it.
func TokenSetSimilarity(a, b string) float64 {
	ta, tb := strings.Fields(Normalize(a)), strings.Fields(Normalize(b))
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	sum := 0.0
	for _, x := range ta {
		best := 0.0
		for _, y := range tb {
			s := JaroWinkler(x, y)
			if (len(x) == 1 || len(y) == 1) && x[0] == y[0] {
				s = max(s, 0.9)
			}
			best = max(best, s)
		}
		sum += best
	}
	return sum / float64(len(ta))
}

// DateSimilarity compares dates that may be partial: 1 when they agree on
// all they both state, 0.8 for swapped day and month, 0.6 for a year off
// by one with the rest equal, 0 otherwise.
func DateSimilarity(a, b fedmatch.Date) float64 {
	if a == b {
		return 1
	}
	type part struct{ x, y string }
	parts := []part{{a.Year(), b.Year()}, {a.Month(), b.Month()}, {a.Day(), b.Day()}}
	agree := true
	for _, p := range parts {
		if p.x != "" && p.y != "" && p.x != p.y {
			agree = false
		}
	}
	if agree {
		return 0.9 // compatible partial dates: one is less precise
	}
	if a.Full() && b.Full() {
		if a.Year() == b.Year() && a.Month() == b.Day() && a.Day() == b.Month() {
			return 0.8
		}
		if a.Month() == b.Month() && a.Day() == b.Day() && yearsApart(a.Year(), b.Year()) == 1 {
			return 0.6
		}
	}
	return 0
}

func yearsApart(a, b string) int {
	d := 0
	for i := range 4 {
		d = d*10 + int(a[i]) - int(b[i])
	}
	return max(d, -d)
}
