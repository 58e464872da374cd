package match

import (
	"slices"
	"strings"
	"unicode"

	"github.com/fedmatch/fedmatch"
)

// fields are a record's or a probe's comparison fields, normalised once:
// for a record when it is stored, for a probe when its query is prepared,
// so scoring a candidate normalises nothing.
type fields struct {
	surnames []name     // the surname, then each alias surname
	given    [][]string // the given names as tokens, folded; then ICAO when that differs
	// givenOther holds the given names as names, when they are written in
	// a non-Latin script, for comparing across scripts.
	givenOther []name
	dob        fedmatch.Date
	sex        byte // 'M', 'F' or 0
	nats       []string
	pob        string
	addr       []string // the address's words and numbers (addressTokens), sorted: compared order-free
	docs       []docFields
}

type docFields struct {
	state, number, sorted string
	status                string // lost, stolen, fraudulent, or ""
}

func newFields(tr *Transliteration, surname, given string, aliases []string, dob fedmatch.Date, sex string, nats []string, pob, addr string, docs []fedmatch.Document) *fields {
	f := &fields{dob: dob, pob: Compact(pob), addr: addressTokens(addr)}
	slices.Sort(f.addr)
	if n := newName(surname, tr); n.forms[0] != "" {
		f.surnames = append(f.surnames, n)
	}
	for _, a := range aliasSurnames(aliases) {
		f.surnames = append(f.surnames, newName(a, tr))
	}
	if t := strings.Fields(Normalize(given)); len(t) > 0 {
		f.given = append(f.given, t)
		if i := strings.Fields(ICAO(Romanize(given))); !slices.Equal(i, t) && len(i) > 0 {
			f.given = append(f.given, i)
		}
		if !isLatin(given) {
			f.givenOther = givenNames(given, tr)
		}
	}
	switch s := strings.ToUpper(strings.TrimSpace(sex)); s {
	case "M", "F", "MALE", "FEMALE":
		f.sex = s[0]
	}
	for _, n := range nats {
		if n = strings.ToUpper(strings.TrimSpace(n)); n != "" {
			f.nats = append(f.nats, n)
		}
	}
	for _, d := range docs {
		df := docFields{state: strings.ToUpper(strings.TrimSpace(d.IssuingState)), number: DocNumber(d.Number), status: d.Status}
		b := []byte(df.number)
		slices.Sort(b)
		df.sorted = string(b)
		f.docs = append(f.docs, df)
	}
	return f
}

func recordFields(r *fedmatch.Record, tr *Transliteration) *fields {
	return newFields(tr, r.Surname, r.GivenNames, r.Aliases, r.DateOfBirth, r.Sex, r.Nationalities, r.PlaceOfBirth, r.Address, r.Documents)
}

func probeFields(p *fedmatch.Probe, tr *Transliteration) *fields {
	var nats []string
	if p.Nationality != "" {
		nats = []string{p.Nationality}
	}
	return newFields(tr, p.Surname, p.GivenNames, nil, p.DateOfBirth, p.Sex, nats, p.PlaceOfBirth, p.Address, p.Documents)
}

// swappedNames returns p's fields with surname and first given name
// exchanged (the other given names kept), for names entered the wrong way
// round; nil when there is nothing to swap.
func swappedNames(p *fedmatch.Probe, tr *Transliteration) *fields {
	g := strings.Fields(p.GivenNames)
	if len(g) == 0 || Compact(p.Surname) == "" {
		return nil
	}
	return probeFields(&fedmatch.Probe{Surname: g[0], GivenNames: strings.Join(append([]string{p.Surname}, g[1:]...), " ")}, tr)
}

// name is a name as compared: its forms, and the script it was written in;
// for a name in a script with a learned transliteration, the model and the
// name's units in it.
type name struct {
	forms  []string
	script script
	learnt *Transliteration
	ids    []int32
	key    string // the script's calibration key
	// letters are a Latin name's ASCII forms as a transliteration scores
	// them (transLatin, spokenLatin), computed once.
	letters []string
}

// script says how a name was written, for comparing across scripts.
type script uint8

const (
	latin     script = iota
	alphabet         // Cyrillic or Greek: romanised letter by letter
	abjad            // Hebrew or Arabic: romanised, short vowels unwritten
	syllabary        // Hangul, kana or Chinese: romanised, and L and R are one sound
)

func newName(s string, tr *Transliteration) name {
	n := name{forms: Forms(s)}
	for _, r := range s {
		switch {
		case r < 0x250: // Latin, with its accents
		case r >= 0xAC00 && r <= 0xD7A3, unicode.In(r, unicode.Katakana, unicode.Hiragana, unicode.Han):
			n.script = syllabary
		case unicode.In(r, unicode.Hebrew, unicode.Arabic):
			n.script = max(n.script, abjad)
		case unicode.IsLetter(r):
			n.script = max(n.script, alphabet)
		}
	}
	if n.script != latin && tr != nil {
		n.learnt, n.ids, n.key = tr.prepare(s)
	}
	if n.script == latin {
		for _, f := range n.forms {
			if !isASCII(f) {
				continue
			}
			for _, l := range [...]string{transLatin(f), spokenLatin(f)} {
				if l != "" && !slices.Contains(n.letters, l) {
					n.letters = append(n.letters, l)
				}
			}
		}
	}
	return n
}

// nameSimilarity is the best Jaro–Winkler similarity of any forms of a
// and b (1 when any are equal), and whether they are in different
// scripts. When either was written in another script, its romanisation is
// a guess at a spelling and vowels are often not written at all, so the
// best crossSimilarity of their Latin readings counts instead; and when
// one is Latin and the other's script has a learned transliteration, the
// similarity is that model's (Transliteration.similarity), which weighs
// this one with every way the pairs it learnt from were written.
func nameSimilarity(a, b name) (float64, bool) {
	best := 0.0
	for _, x := range a.forms {
		for _, y := range b.forms {
			if x == y {
				return 1, false
			}
			best = max(best, JaroWinkler(x, y))
		}
	}
	if a.script == latin && b.script == latin {
		return best, false
	}
	// Across scripts, each Latin reading of one against each of the other.
	lr := a.script == syllabary || b.script == syllabary
	sc := max(a.script, b.script)
	sim := 0.0
	for _, x := range a.forms {
		for _, y := range b.forms {
			if isASCII(x) && isASCII(y) {
				sim = max(sim, crossSimilarity(x, y, best, lr, sc))
			}
		}
	}
	switch {
	case a.script == latin && b.learnt != nil:
		return b.learnt.similarity(a, b, sim), true
	case b.script == latin && a.learnt != nil:
		return a.learnt.similarity(b, a, sim), true
	}
	return sim, true
}

// crossSimilarity compares two Latin readings of names from different
// scripts: Jaro–Winkler (best, and of their phonetic spellings), mixed
// with the consonant skeletons' similarity, then with the phonetic edit
// distance.
func crossSimilarity(x, y string, best float64, lr bool, sc script) float64 {
	sa, sb := Skeleton(x), Skeleton(y)
	if lr {
		// Korean, Japanese and Chinese write L and R alike, and J for Z.
		sa, sb = syllabaryClasses.Replace(sa), syllabaryClasses.Replace(sb)
	}
	w := skeletonWeight[sc]
	best = max(best, JaroWinkler(phoneticSpelling(x), phoneticSpelling(y)))
	sim := max(best, (1-w)*best+w*JaroWinkler(sa, sb))
	if lr {
		// Korean and Japanese take English names as spoken without an R
		// before a consonant or at the end (BARLEY, バーリー BARI).
		x, y = dropFinalR(x), dropFinalR(y)
	}
	if sc == abjad {
		// Arabic writes G and J with one letter (ج), Hebrew J as G with a
		// geresh: the two are one sound here.
		x, y = strings.ReplaceAll(x, "J", "G"), strings.ReplaceAll(y, "J", "G")
	}
	return (1-phoneticWeight)*sim + phoneticWeight*PhoneticSimilarity(x, y, lr)
}

// dropFinalR leaves out an R after a vowel that no vowel follows.
func dropFinalR(s string) string {
	if !strings.Contains(s, "R") {
		return s
	}
	vowel := func(c byte) bool { return strings.IndexByte("AEIOUY", c) >= 0 }
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 'R' && i > 0 && vowel(s[i-1]) && (i+1 == len(s) || !vowel(s[i+1])) {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// phoneticWeight is the phonetic edit distance's share in a cross-script
// similarity, chosen on the Wikidata name pairs.
const phoneticWeight = 0.4

var syllabaryClasses = strings.NewReplacer("L", "R", "J", "S")

// skeletonWeight is the consonant skeleton's share in a cross-script
// similarity, by script: more where the romanisation guesses more. Chosen
// on the Wikidata name pairs (../shared/data/names; `make eval`).
var skeletonWeight = [...]float64{latin: 0, alphabet: 0.5, abjad: 0.65, syllabary: 0.6}

// surnameLevel compares the probe's surname with the record's surname and
// aliases: exact when any forms agree, else by the best similarity.
func surnameLevel(ps, rs []name) int8 {
	if len(ps) == 0 || len(rs) == 0 {
		return Missing
	}
	best := int8(3)
	for _, r := range rs {
		s, cross := nameSimilarity(ps[0], r)
		switch {
		case s == 1:
			return 0
		case cross: // a similarity across scripts runs lower: levels at the same false-match rates
			best = min(best, crossLevel(s))
		default:
			best = min(best, simLevel(s))
		}
	}
	return best
}

// crossLevel is simLevel for names compared across scripts: similar at
// the similarity only 0.1 % of unrelated pairs reach on the Wikidata name
// pairs (about 0.79), close where almost none do.
func crossLevel(s float64) int8 {
	switch {
	case s >= 0.88:
		return 1
	case s >= 0.78:
		return 2
	}
	return 3
}

func simLevel(s float64) int8 {
	switch {
	case s >= closeJW:
		return 1
	case s >= similarJW:
		return 2
	}
	return 3
}

// givenLevel compares given names as token sets, order-free: exact when
// the same names in any order; otherwise by how well each name of the
// shorter list finds its partner in the longer (an initial matches a name
// it begins). Names in different scripts are compared name by name as
// surnames are across scripts.
func givenLevel(p, r *fields) int8 {
	ps, rs := p.given, r.given
	if len(ps) == 0 || len(rs) == 0 {
		return Missing
	}
	if (p.givenOther == nil) != (r.givenOther == nil) {
		return crossGivenLevel(p, r)
	}
	best := int8(3)
	for _, a := range ps {
		for _, b := range rs {
			if sameTokens(a, b) {
				return 0
			}
			best = min(best, simLevel(tokenSet(a, b)))
		}
	}
	return best
}

// crossGivenLevel compares given names of which one side is written in a
// non-Latin script: each name of the shorter list with its most similar
// partner, averaged, at the cross-script levels.
func crossGivenLevel(p, r *fields) int8 {
	a, b := p.givenOther, r.givenOther
	if a == nil {
		a = latinNames(p.given[0])
	}
	if b == nil {
		b = latinNames(r.given[0])
	}
	s := pairedAverage(a, b, func(x, y name) float64 {
		s, _ := nameSimilarity(x, y)
		return s
	})
	if s == 1 {
		return 0
	}
	return crossLevel(s)
}

// givenNames returns each given name in s as a name.
func givenNames(s string, tr *Transliteration) []name {
	var out []name
	for _, t := range strings.Fields(s) {
		if n := newName(t, tr); n.forms[0] != "" {
			out = append(out, n)
		}
	}
	return out
}

// latinNames makes names of normalised Latin tokens.
func latinNames(tokens []string) []name {
	out := make([]name, len(tokens))
	for i, t := range tokens {
		out[i] = name{forms: []string{t}}
	}
	return out
}

// isLatin reports whether every letter of s is Latin.
func isLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func sameTokens(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 1 {
		return a[0] == b[0]
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func tokenSet(ta, tb []string) float64 {
	return pairedAverage(ta, tb, func(x, y string) float64 {
		s := JaroWinkler(x, y)
		if (len(x) == 1 || len(y) == 1) && x[0] == y[0] {
			s = max(s, 0.9)
		}
		if sameGivenName(x, y) { // Bill for William: a close match, not an exact one
			s = max(s, closeJW)
		}
		return s
	})
}

// pairedAverage pairs each item of the shorter list with its most similar
// item in the other, order-free, and averages the similarities.
func pairedAverage[T any](a, b []T, sim func(x, y T) float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	return bestSum(a, b, sim) / float64(len(a))
}

// bestSum is the sum over a's items of each one's best similarity with an
// item of b.
func bestSum[T any](a, b []T, sim func(x, y T) float64) float64 {
	sum := 0.0
	for _, x := range a {
		best := 0.0
		for _, y := range b {
			best = max(best, sim(x, y))
		}
		sum += best
	}
	return sum
}

// dobLevel compares dates that may be partial (see ComparisonSpecs).
func dobLevel(a, b fedmatch.Date) int8 {
	if a == "" || b == "" {
		return Missing
	}
	if a == b && a.Full() {
		return 0
	}
	parts := [3][2]string{{a.Year(), b.Year()}, {a.Month(), b.Month()}, {a.Day(), b.Day()}}
	agree := true
	for _, p := range parts {
		if p[0] != "" && p[1] != "" && p[0] != p[1] {
			agree = false
		}
	}
	if agree {
		return 1 // compatible: one or both less precise
	}
	if !a.Full() || !b.Full() {
		return 5
	}
	switch {
	case a.Year() == b.Year() && a.Month() == b.Day() && a.Day() == b.Month():
		return 2
	case a.Month() == b.Month() && a.Day() == b.Day() && yearsApart(a.Year(), b.Year()) == 1:
		return 3
	}
	same := 0
	for _, p := range parts {
		if p[0] == p[1] {
			same++
		}
	}
	if same == 2 {
		return 4
	}
	return 5
}

func yearsApart(a, b string) int {
	d := 0
	for i := range 4 {
		d = d*10 + int(a[i]) - int(b[i])
	}
	return max(d, -d)
}

func sexLevel(a, b byte) int8 {
	switch {
	case a == 0 || b == 0:
		return Missing
	case a == b:
		return 0
	}
	return 1
}

func nationalityLevel(ps, rs []string) int8 {
	if len(ps) == 0 || len(rs) == 0 {
		return Missing
	}
	for _, p := range ps {
		if slices.Contains(rs, p) {
			return 0
		}
	}
	return 1
}

func placeLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return Missing
	case a == b || JaroWinkler(a, b) >= 0.9:
		return 0
	}
	return 1
}

// addressTokens folds an address into its words and numbers, in order:
// letters without accents in upper case, and runs of ASCII digits, each a
// token of its own ("12a Rue d'Écosse" is 12 A RUE D ECOSSE).
func addressTokens(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !isDigit(r) }) {
		for w != "" {
			i := strings.IndexFunc(w, func(r rune) bool { return isDigit(r) != isDigit(rune(w[0])) })
			if i < 0 {
				i = len(w)
			}
			if t := w[:i]; isDigit(rune(t[0])) {
				out = append(out, t)
			} else if t = Normalize(t); t != "" {
				out = append(out, strings.Fields(t)...)
			}
			w = w[i:]
		}
	}
	return out
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// addressLevel compares addresses (addressTokens, sorted) word by word,
// order-free: the same words and numbers; every number of each side in
// the other and words alike (Jaro–Winkler averaged over both sides' words,
// each paired with its likest in the other, at least closeJW); or
// different. Numbers must agree for "close" because a house or flat
// number one off is another household.
func addressLevel(a, b []string) int8 {
	switch {
	case len(a) == 0 || len(b) == 0:
		return Missing
	case slices.Equal(a, b):
		return 0
	case numbersIn(a, b) && numbersIn(b, a) && (bestSum(a, b, JaroWinkler)+bestSum(b, a, JaroWinkler))/float64(len(a)+len(b)) >= closeJW:
		return 1
	}
	return 2
}

// numbersIn reports whether every number token of a is in b.
func numbersIn(a, b []string) bool {
	for _, t := range a {
		if isDigit(rune(t[0])) && !slices.Contains(b, t) {
			return false
		}
	}
	return true
}

// documentLevel compares documents of the same issuing state; Missing
// when no two are of the same state.
func documentLevel(ps, rs []docFields) int8 {
	best := int8(Missing)
	for _, p := range ps {
		for _, r := range rs {
			if p.state != r.state {
				continue
			}
			l := int8(3)
			switch {
			case p.number == r.number:
				return 0
			case p.sorted == r.sorted:
				l = 1
			case oneEdit(p.number, r.number):
				l = 2
			}
			if best == Missing || l < best {
				best = l
			}
		}
	}
	return best
}

// documentStatus is the status of the record's document that one of the
// probe's documents is (same state and number).
func documentStatus(ps, rs []docFields) string {
	for _, p := range ps {
		for _, r := range rs {
			if p.state == r.state && p.number == r.number && r.status != "" {
				return r.status
			}
		}
	}
	return ""
}

// oneEdit reports whether a and b (ASCII) differ by one substitution,
// insertion or deletion.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		diff := 0
		for i := range len(a) {
			if a[i] != b[i] {
				diff++
			}
		}
		return diff == 1
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return a[i+1:] == b[i:]
	}
	return false
}

// compareDecisive fills the levels of date of birth and documents: the
// comparisons that rule out most candidates, made first.
func compareDecisive(p, r *fields, v *Vector) {
	v[CmpDOB] = dobLevel(p.dob, r.dob)
	v[CmpDocument] = documentLevel(p.docs, r.docs)
}

// compareMinor fills the levels of sex, nationality, place of birth and
// address.
func compareMinor(p, r *fields, v *Vector) {
	v[CmpSex] = sexLevel(p.sex, r.sex)
	v[CmpNationality] = nationalityLevel(p.nats, r.nats)
	v[CmpPlaceOfBirth] = placeLevel(p.pob, r.pob)
	v[CmpAddress] = addressLevel(p.addr, r.addr)
}

// compareFields returns the levels of p against r, names read straight.
func compareFields(p, r *fields) Vector {
	var v Vector
	compareDecisive(p, r, &v)
	compareMinor(p, r, &v)
	v[CmpSurname] = surnameLevel(p.surnames, r.surnames)
	v[CmpGiven] = givenLevel(p, r)
	return v
}

// Compare returns the agreement levels of probe p against record r.
func Compare(p *fedmatch.Probe, r *fedmatch.Record) Vector {
	tr := DefaultTransliteration()
	return compareFields(probeFields(p, tr), recordFields(r, tr))
}
