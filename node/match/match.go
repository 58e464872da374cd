package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fedmatch/fedmatch"
)

// Config weighs the biographic comparisons. A field one side lacks counts
// as neutral evidence (0.5), so a match on few fields scores lower than a
// match on many.
type Config struct {
	SurnameWeight  float64
	GivenWeight    float64
	DOBWeight      float64
	DocumentWeight float64 // documents of the same state, not the same number
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
	return Config{SurnameWeight: 0.45, GivenWeight: 0.30, DOBWeight: 0.25, DocumentWeight: 0.25, MinSurname: 0.80, SexMismatch: 0.85, Floor: 0.50}
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
	keyDigits  = "dd:"  // issuing state + the number's characters sorted: survives transpositions
	keySurname = "sn:"  // compact surname (or alias surname)
	keyDOB     = "dob:" // full date of birth
	keyPrefix  = "sy:"  // first three letters of surname + birth year
	keyNames   = "nm:"  // surname and first given name, in either order: survives a wrong date and swapped names
)

// RecordKeys returns the blocking keys of a record.
func (m *Matcher) RecordKeys(r *fedmatch.Record) []string {
	var ks []string
	for _, d := range r.Documents {
		ks = append(ks, docKey(d), digitsKey(d))
	}
	ks = append(ks, namesKeys(r.Surname, r.GivenNames)...)
	for _, n := range append([]string{r.Surname}, aliasSurnames(r.Aliases)...) {
		for _, c := range Forms(n) {
			if c == "" {
				continue
			}
			ks = append(ks, keySurname+c)
			if y := r.DateOfBirth.Year(); y != "" {
				ks = append(ks, prefixKey(c, y))
			}
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
		ks = append(ks, docKey(d), digitsKey(d))
	}
	ks = append(ks, namesKeys(p.Surname, p.GivenNames)...)
	if Compact(p.Surname) == "" {
		return ks
	}
	dob := p.DateOfBirth
	for _, c := range Forms(p.Surname) {
		if y := dob.Year(); y != "" {
			n := int(y[0]-'0')*1000 + int(y[1]-'0')*100 + int(y[2]-'0')*10 + int(y[3]-'0')
			for _, yy := range []int{n - 1, n, n + 1} {
				ks = append(ks, prefixKey(c, fmt.Sprintf("%04d", yy)))
			}
		} else {
			ks = append(ks, keySurname+c)
		}
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

// namesKeys pair the compact surname with the first given name, in sorted
// order and in each of their forms, so a record is reached whatever its
// date of birth says and when surname and given name were entered the
// wrong way round.
func namesKeys(surname, given string) []string {
	g := strings.Fields(given)
	if Compact(surname) == "" || len(g) == 0 {
		return nil
	}
	var ks []string
	for _, a := range Forms(surname) {
		for _, b := range Forms(g[0]) {
			if b < a {
				a, b = b, a
			}
			ks = append(ks, keyNames+a+"|"+b)
		}
	}
	return ks
}

// digitsKey is the document key with the number's characters sorted, so a
// number with two characters transposed still meets its record.
func digitsKey(d fedmatch.Document) string {
	n := []byte(DocNumber(d.Number))
	slices.Sort(n)
	return keyDigits + strings.ToUpper(strings.TrimSpace(d.IssuingState)) + ":" + string(n)
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
	s := m.biographic(p, r)
	if s < m.cfg.Floor {
		return fedmatch.Match{}, false
	}
	return fedmatch.Match{Record: r, Kind: fedmatch.KindBiographic, Score: s}, true
}

func (m *Matcher) biographic(p *fedmatch.Probe, r *fedmatch.Record) float64 {
	dob := 0.5 // a field one side lacks is neutral evidence, not left out
	if p.DateOfBirth != "" && r.DateOfBirth != "" {
		dob = DateSimilarity(p.DateOfBirth, r.DateOfBirth)
	}
	doc, docOK := documentSimilarity(p.Documents, r.Documents)
	// Other strong evidence (a document number that agrees up to a
	// transposition, or the exact date of birth) keeps a candidate whose
	// surname is missing or misspelt beyond the surname gate.
	strong := (docOK && doc >= 0.8) || dob == 1
	straight := m.names(p.Surname, p.GivenNames, r, strong)
	// Surname and given name entered the wrong way round: the same names,
	// at a small discount.
	swapped := 0.0
	if p.GivenNames != "" {
		if f := strings.Fields(p.GivenNames); len(f) > 0 {
			swapped = 0.95 * m.names(f[0], p.Surname, r, strong)
		}
	}
	total := max(straight, swapped)
	if total == 0 {
		return 0
	}
	// A surname alone must not score like a full match: the date of birth
	// counts whether known or not.
	weight := m.cfg.SurnameWeight + m.cfg.GivenWeight + m.cfg.DOBWeight
	total += dob * m.cfg.DOBWeight
	if docOK {
		total += doc * m.cfg.DocumentWeight
		weight += m.cfg.DocumentWeight
	}
	s := total / weight
	if p.Sex != "" && r.Sex != "" && !strings.EqualFold(p.Sex, r.Sex) {
		s *= m.cfg.SexMismatch
	}
	return s
}

// names weighs surname and given names of the probe against the record;
// 0 when the surname is too far off to be a candidate at all, unless
// strong says other evidence vouches for it.
func (m *Matcher) names(surname, given string, r *fedmatch.Record, strong bool) float64 {
	ps := Forms(surname)
	sn := 0.0
	for _, n := range append([]string{r.Surname}, r.Aliases...) {
		rs := Forms(n)
		if n != r.Surname { // an alias: its last word is the surname
			rs = aliasSurnames([]string{n})
		}
		for _, a := range ps {
			for _, b := range rs {
				sn = max(sn, JaroWinkler(a, b))
			}
		}
	}
	if Compact(surname) == "" || r.Surname == "" {
		sn = 0.5 // unknown on one side: neutral
	}
	if sn < m.cfg.MinSurname && !strong {
		return 0
	}
	g := 0.5
	if given != "" && r.GivenNames != "" {
		g = TokenSetSimilarity(given, r.GivenNames)
	}
	return sn*m.cfg.SurnameWeight + g*m.cfg.GivenWeight
}

// documentSimilarity compares documents of the same issuing state: 1 for
// the same number, 0.8 for the same characters transposed, 0 otherwise;
// ok is false when no pair of documents is comparable.
func documentSimilarity(ps, rs []fedmatch.Document) (float64, bool) {
	best, ok := 0.0, false
	for _, p := range ps {
		for _, r := range rs {
			if !strings.EqualFold(strings.TrimSpace(p.IssuingState), strings.TrimSpace(r.IssuingState)) {
				continue
			}
			ok = true
			switch {
			case docKey(p) == docKey(r):
				best = max(best, 1)
			case digitsKey(p) == digitsKey(r):
				best = max(best, 0.8)
			}
		}
	}
	return best, ok
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
