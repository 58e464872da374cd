package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fedmatch/fedmatch"
)

// Config configures a matcher.
type Config struct {
	// Floor is the lowest match probability reported; policy raises it
	// per purpose. 0 reports every candidate, for evaluations.
	Floor float64
	// Transliteration is the learned model names in other scripts are
	// compared to Latin names with; nil is DefaultTransliteration.
	Transliteration *Transliteration
}

// DefaultConfig returns the configuration used unless a node is
// configured otherwise.
func DefaultConfig() Config { return Config{Floor: 0.5} }

// Matcher matches biographic data and documents with a Fellegi–Sunter
// model. It is safe for concurrent use.
type Matcher struct {
	model *Model
	tr    *Transliteration
	floor float64 // Config.Floor as a weight
}

var _ fedmatch.Matcher = (*Matcher)(nil)

// New returns a matcher scoring with model (DefaultModel when nil).
func New(cfg Config, model *Model) *Matcher {
	if model == nil {
		model = DefaultModel()
	}
	floor := math.Inf(-1)
	if cfg.Floor > 0 {
		floor = WeightOf(min(cfg.Floor, 1-minProb))
	}
	tr := cfg.Transliteration
	if tr == nil {
		tr = DefaultTransliteration()
	}
	return &Matcher{model: model, tr: tr, floor: floor}
}

// Model returns the matcher's model.
func (m *Matcher) Model() *Model { return m.model }

// Index prepares a record for the store: its blocking keys and its
// comparison fields, normalised once.
func (m *Matcher) Index(r *fedmatch.Record) fedmatch.Indexed {
	f := recordFields(r, m.tr)
	return fedmatch.Indexed{Keys: recordKeys(r, f), Fields: f}
}

// Prepare compiles a probe for one query.
func (m *Matcher) Prepare(p *fedmatch.Probe) fedmatch.Query {
	return &query{m: m, f: probeFields(p, m.tr), swapped: swappedNames(p, m.tr), keys: m.ProbeKeys(p)}
}

// Score compares p with r once: Prepare and Index, for a node, do the
// work of each side only once.
func (m *Matcher) Score(p *fedmatch.Probe, r *fedmatch.Record) (fedmatch.Match, bool) {
	return m.Prepare(p).Score(r, nil)
}

// query is a prepared probe.
type query struct {
	m          *Matcher
	f, swapped *fields
	keys       []string
}

func (q *query) Keys() []string { return q.keys }

// Score compares the query with record r, whose fields are what Index
// returned for it (or nil, to compute them now).
func (q *query) Score(r *fedmatch.Record, x any) (fedmatch.Match, bool) {
	rf, _ := x.(*fields)
	if rf == nil {
		rf = recordFields(r, q.m.tr)
	}
	v, w, ok := q.weigh(rf)
	if !ok {
		return fedmatch.Match{}, false
	}
	m := fedmatch.Match{Record: r, Kind: fedmatch.KindBiographic, Score: Probability(w)}
	if v[CmpDocument] == 0 {
		m.Kind = fedmatch.KindDocument
		m.DocumentStatus = documentStatus(q.f.docs, rf.docs)
	}
	return m, true
}

// weigh computes the levels and weight of the query against rf, the
// cheap comparisons first: when even the best name levels could not lift
// the weight to the floor, the names are not compared at all.
func (q *query) weigh(rf *fields) (Vector, float64, bool) {
	model := q.m.model
	var v Vector
	for i := range v {
		v[i] = Missing
	}
	// Date of birth and documents first: they rule out most candidates,
	// and then nothing else need be compared.
	compareDecisive(q.f, rf, &v)
	w := model.Weight(v)
	if w+model.best[CmpSex]+model.best[CmpNationality]+model.best[CmpPlaceOfBirth]+model.best[CmpAddress]+model.best[CmpSurname]+model.best[CmpGiven] < q.m.floor {
		return v, w, false
	}
	compareMinor(q.f, rf, &v)
	w = model.Weight(v)
	if w+model.best[CmpSurname]+model.best[CmpGiven] < q.m.floor {
		return v, w, false
	}
	names := func(f *fields) (int8, int8, float64) {
		s, g := surnameLevel(f.surnames, rf.surnames), givenLevel(f, rf)
		nw := 0.0
		if s != Missing {
			nw += model.weights[CmpSurname][s]
		}
		if g != Missing {
			nw += model.weights[CmpGiven][g]
		}
		return s, g, nw
	}
	s, g, nw := names(q.f)
	// Surname and given name entered the wrong way round: the better of
	// the two readings counts.
	if q.swapped != nil && s >= 2 {
		if s2, g2, nw2 := names(q.swapped); nw2 > nw {
			s, g, nw = s2, g2, nw2
		}
	}
	v[CmpSurname], v[CmpGiven] = s, g
	w += nw
	return v, w, w >= q.m.floor
}

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
	keyInitial = "si:"  // first four letters of surname + first given initial: survives a wrong date and a misspelt name
	keyYearIni = "sz:"  // first three letters of surname + birth year + first given initial: sy: narrowed for large stores
	keySound   = "ph:"  // consonant skeleton of surname + birth year: survives spelling and script (SANDLER, סנדלר)
	keyDayIni  = "sm:"  // first three letters of surname + birth month and day + a given initial: survives a mistyped year
	keyAddress = "ad:"  // a house number + the first four letters of the street's name + a given initial: survives a changed surname and a wrong date of birth
)

// RecordKeys returns the blocking keys of a record.
func (m *Matcher) RecordKeys(r *fedmatch.Record) []string {
	return recordKeys(r, recordFields(r, m.tr))
}

// recordKeys returns the blocking keys of r, whose comparison fields f
// already hold its names' forms and given names.
func recordKeys(r *fedmatch.Record, f *fields) []string {
	var ks []string
	for _, d := range r.Documents {
		ks = append(ks, docKey(d), digitsKey(d))
	}
	if Compact(r.Surname) != "" { // then f.surnames[0] is the surname, not an alias
		ks = append(ks, namesKeys(f.surnames[0].forms, r.GivenNames)...)
	}
	var ins []string
	if len(f.given) > 0 {
		ins = initials(f.given[0])
	}
	y := r.DateOfBirth.Year()
	for _, n := range f.surnames {
		for _, c := range n.forms {
			ks = append(ks, keySurname+c)
			if y != "" {
				ks = append(ks, prefixKey(c, y), soundKey(c, y))
				for _, i := range ins {
					ks = append(ks, yearInitialKey(c, y, i))
					if r.DateOfBirth.Full() {
						ks = append(ks, dayInitialKey(c, r.DateOfBirth.Month()+r.DateOfBirth.Day(), i))
					}
				}
			}
			if k := initialKey(c, ins); k != "" {
				ks = append(ks, k)
			}
		}
	}
	if r.DateOfBirth.Full() {
		ks = append(ks, keyDOB+string(r.DateOfBirth))
	}
	ks = append(ks, addressKeys(addressTokens(r.Address), ins)...) // in order, as f.addr is not
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
	ins := initials(strings.Fields(Normalize(p.GivenNames)))
	ks = append(ks, addressKeys(addressTokens(p.Address), ins)...)
	forms := Forms(p.Surname)
	if forms[0] != "" {
		ks = append(ks, namesKeys(forms, p.GivenNames)...)
	}
	dob := p.DateOfBirth
	if dob.Full() {
		ks = append(ks, keyDOB+string(dob))
		if swapped := fedmatch.Date(dob.Year() + "-" + dob.Day() + "-" + dob.Month()); swapped.Validate() == nil {
			ks = append(ks, keyDOB+string(swapped))
		}
	}
	if forms[0] == "" {
		slices.Sort(ks)
		return slices.Compact(ks)
	}
	for _, c := range forms {
		if k := initialKey(c, ins); k != "" {
			ks = append(ks, k)
		}
		if y := dob.Year(); y != "" {
			n := int(y[0]-'0')*1000 + int(y[1]-'0')*100 + int(y[2]-'0')*10 + int(y[3]-'0')
			ks = append(ks, soundKey(c, y))
			for _, yy := range []int{n - 1, n, n + 1} {
				ks = append(ks, prefixKey(c, fmt.Sprintf("%04d", yy)))
				for _, i := range ins {
					ks = append(ks, yearInitialKey(c, fmt.Sprintf("%04d", yy), i))
				}
			}
			if dob.Full() {
				for _, i := range ins {
					ks = append(ks, dayInitialKey(c, dob.Month()+dob.Day(), i), dayInitialKey(c, dob.Day()+dob.Month(), i))
				}
			}
		} else {
			ks = append(ks, keySurname+c)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// initials returns the distinct initials of the first three given names
// (normalised tokens): keys built on each survive given names reordered.
func initials(tokens []string) []string {
	var out []string
	for i, t := range tokens {
		if i == 3 {
			break
		}
		r, _ := utf8.DecodeRuneInString(t)
		if s := string(r); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func dayInitialKey(compact, monthDay, initial string) string {
	p := []rune(compact)
	return keyDayIni + string(p[:min(3, len(p))]) + monthDay + initial
}

// initialKey is the first four letters of a compact surname and the
// initial of the first given name (ins, from initials); "" without one.
func initialKey(compact string, ins []string) string {
	if len(ins) == 0 || compact == "" {
		return ""
	}
	p := []rune(compact)
	return keyInitial + string(p[:min(4, len(p))]) + "|" + ins[0]
}

// soundKey is the consonant skeleton of a compact surname form, with the
// classes that differ only in Korean, Japanese and Chinese merged, and the
// birth year.
func soundKey(compact, year string) string {
	return keySound + syllabaryClasses.Replace(Skeleton(compact)) + year
}

func yearInitialKey(compact, year, initial string) string {
	p := []rune(compact)
	return keyYearIni + string(p[:min(3, len(p))]) + year + initial
}

func prefixKey(compact, year string) string {
	p := []rune(compact)
	return keyPrefix + string(p[:min(3, len(p))]) + year
}

// namesKeys pair the compact surname (its forms) with the first given
// name, in sorted order and in each of their forms, so a record is reached
// whatever its date of birth says and when surname and given name were
// entered the wrong way round.
func namesKeys(surnameForms []string, given string) []string {
	g := strings.Fields(given)
	if len(g) == 0 {
		return nil
	}
	var ks []string
	for _, a := range surnameForms {
		for _, b := range Forms(g[0]) {
			if b < a {
				a, b = b, a
			}
			ks = append(ks, keyNames+a+"|"+b)
		}
	}
	return ks
}

// addressKeys are an address's first two house numbers (addressTokens),
// each with the first four letters of the first word of four letters or
// more after it and before the next number, and each given initial (ins,
// from initials): "12 St George Road" for Anna is 12|GEOR|A. The initial
// narrows a key to a household, not every 12 High Street in the country,
// and survives a new surname. Short words (ST, RUE, NSW) are passed over,
// so a key names a street, not a district: a postcode followed by a state
// makes none. So are the long words clerks shorten (SAINT to ST, NORTH to
// N), so the full and the short form key alike.
func addressKeys(toks, ins []string) []string {
	var ks []string
	streets := 0
	for i := 0; i < len(toks) && streets < 2; i++ {
		if !isDigit(rune(toks[i][0])) {
			continue
		}
		for _, w := range toks[i+1:] {
			if isDigit(rune(w[0])) {
				break
			}
			if r := []rune(w); len(r) >= 4 && !abbreviated[w] {
				for _, in := range ins {
					ks = append(ks, keyAddress+toks[i]+"|"+string(r[:4])+"|"+in)
				}
				streets++
				break
			}
		}
	}
	return ks
}

// abbreviated are the words of a street's name often written short.
var abbreviated = map[string]bool{"SAINT": true, "SAINTE": true, "SANKT": true, "MOUNT": true, "NORTH": true,
	"SOUTH": true, "EAST": true, "WEST": true, "UPPER": true, "LOWER": true, "GREAT": true, "LITTLE": true}

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
