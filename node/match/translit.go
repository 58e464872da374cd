package match

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/fedmatch/fedmatch"
	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"
)

// A Transliteration is a learned model of how names written in another
// script are spelt in Latin letters: for each unit of the other script (a
// letter; a kana with any small kana after it; a Hangul jamo, whose
// conjoining code points keep a syllable's initial and final consonants
// apart; a Chinese character's pinyin initial and final) the joint probability of
// the unit with each Latin spelling of up to MaxLatin letters, none
// included. It is many-to-one transliteration alignment (Jiampojamarn,
// Kondrak and Sherif, "Applying Many-to-Many Alignments and Hidden Markov
// Models to Letter-to-Phoneme Conversion", NAACL 2007), trained by EM over
// every alignment of known pairs (TrainTransliteration), each spelling
// then also counted in the context the unit before it left (Context), and
// scored as the likelihood ratio of a Latin name given the other against
// the Latin name alone (Score). Runs of two units as one were tried and
// memorise: the recall on pairs held out fell by 5 to 10 points.
//
// Rules (Romanize) read a name one way; the learned model weighs every way
// names have been written: S- -I (斯) as S, SS, Z or TH, ー as nothing, R
// or ER, as the pairs show. Inserting Latin letters for nothing (a silent
// E) was tried: EM gives it no weight, as longer spellings explain them. The two are combined (similarity): the rules still
// count, and both are calibrated to false-match rates per script.
type Transliteration struct {
	MaxLatin int `json:"max_latin"`
	// Spell holds the joint probabilities: per unit, its Latin spellings.
	Spell map[string]map[string]float64 `json:"spell"`
	// Letters is the background model of Latin names: letter bigram
	// probabilities, "^" beginning and "$" ending a name.
	Letters map[string]float64 `json:"letters"`
	// Context holds, per context class (transClasses: the name's start,
	// or the unit before spelt nothing, ended in a vowel or in a
	// consonant), per unit, the expected count of each spelling in that
	// context over the pairs learnt from; scoring backs off from it to
	// Spell (transContextWeight). A model without it scores every
	// spelling alike in every context.
	Context map[string]map[string]map[string]float64 `json:"context,omitempty"`
	// Calibration holds, per script (scriptKey), the combined score that
	// 10 %, 1 %, 0.1 % and 0.01 % of unrelated pairs exceed. A script
	// without it is compared by the rules alone.
	Calibration map[string][]float64 `json:"calibration"`

	units  map[string]int32
	spell  map[spellKey]float64 // log P(unit, chunk), smoothed
	marg   []float64            // log P(unit), by unit
	floor  float64              // log P(unit) for a unit never seen
	fresh  []float64            // log P(chunk) when nothing is known, by chunk length
	bigram [28][28]float64      // log P(next | previous), 0 = boundary, 1..26 = A..Z
	// ctx is P(chunk | unit, class), in each class, for the spellings
	// Context counted in any; ctxBack, by unit, the share a spelling it
	// did not count keeps in each class of its probability without
	// context. One lookup serves every class.
	ctx     map[spellKey]*[len(transClasses)]float64
	ctxBack [][len(transClasses)]float64
}

// ctxKey is a spelling in a context class.
type ctxKey struct {
	spellKey
	class uint8
}

// transClasses name the contexts a unit's spelling is learnt in: what
// the unit before it spelt. Whether a Latin vowel came just before
// decides much of how a unit is written (Е as YE after a vowel, a pinyin
// final after its initial's consonant or standing alone), and four
// classes are seen often enough to learn: finer contexts (the unit before,
// its whole spelling) recalled less held out.
var transClasses = [...]string{"start", "none", "vowel", "consonant"}

const (
	classStart = iota
	classNone
	classVowel
	classConsonant
)

// chunkClass is the context class a spelling of k letters ending at
// lat[end-1] leaves for the next unit.
func chunkClass(lat string, end, k int) uint8 {
	switch {
	case k == 0:
		return classNone
	case strings.IndexByte("AEIOUY", lat[end-1]) >= 0:
		return classVowel
	}
	return classConsonant
}

// spellKey is a unit and a Latin chunk (up to six letters, base 27).
type spellKey struct {
	unit  int32
	chunk uint32
}

// Transliteration training and scoring constants, chosen by two-fold
// cross-validation on the Wikidata name pairs (`fedmatch eval names`).
const (
	transMaxLatin = 4  // letters one unit may spell: 斯 SCH, ー ER
	transRounds   = 10 // EM rounds; recall is flat from about 8
	// transKeep is the learned spellings' share; the rest spreads over
	// every chunk and the spellings with a vowel added. With spellings in
	// context, 0.90 recalled more held out than 0.97, the value before, in
	// five scripts of six (Chinese 0.895 to 0.898) and Russian alike;
	// 0.75 and 0.60 raised Chinese a little more and lowered Korean.
	transKeep = 0.90
	// transRuleWeight is the rules' similarity's weight beside the
	// learned log-likelihood ratio: each sees what the other misses.
	transRuleWeight = 20.0
	// transNegatives is how many unrelated names each pair is calibrated
	// against.
	transNegatives = 10
	// transCalBound bounds a model's calibration points, in nats.
	transCalBound = 1e6
	// transContextWeight is how many counts the spelling's probability
	// without context weighs beside the counts in context (a Dirichlet
	// prior): with it, Chinese recall held out rose from 0.864 to 0.895
	// (with 3, to 0.888; with 10, to 0.892).
	transContextWeight = 30.0
	// transContextFloor drops context counts smaller than this: the model
	// keeps about a fifth of them, for 0.002 of Chinese recall.
	transContextFloor = 0.01
)

// transVowels are the letters a script without vowels leaves out.
var transVowels = [...]string{"A", "E", "I", "O", "U", "Y"}

// transLevels are the similarities the calibration points map to: the
// score only 0.1 % of unrelated pairs exceed is crossLevel's "similar",
// 0.01 % its "close".
var transLevels = [...]float64{0.6, 0.7, 0.78, 0.88}

// DefaultTransliteration returns the model learnt from the Wikidata name
// pairs in ../shared/data/names (CC0; `fedmatch model translit`), decoded
// once: it is read-only.
var DefaultTransliteration = sync.OnceValue(func() *Transliteration {
	t, err := ParseTransliteration(defaultTranslit)
	if err != nil {
		panic("match: the embedded transliteration model is invalid: " + err.Error()) // a build error, caught by tests
	}
	return t
})

//go:embed translit.json
var defaultTranslit []byte

// ParseTransliteration decodes and checks a model. Errors: Malformed,
// Invalid.
func ParseTransliteration(b []byte) (*Transliteration, error) {
	const op = "match.ParseTransliteration"
	var t Transliteration
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if t.MaxLatin < 1 || t.MaxLatin > 6 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "max_latin %d: want 1 to 6", t.MaxLatin)
	}
	for u, sp := range t.Spell {
		if len([]rune(u)) == 0 {
			return nil, fedmatch.E(op, fedmatch.Invalid, "an empty unit")
		}
		if len(sp) == 0 {
			// A unit that spells nothing has probability zero, and
			// every score with it would be -Inf minus -Inf.
			return nil, fedmatch.E(op, fedmatch.Invalid, "unit %q: no spellings", u)
		}
		for c, p := range sp {
			if !t.spelling(c) {
				return nil, fedmatch.E(op, fedmatch.Invalid, "unit %q: spelling %q: want up to %d letters A-Z", u, c, t.MaxLatin)
			}
			if !(p > 0 && p <= 1) {
				return nil, fedmatch.E(op, fedmatch.Invalid, "unit %q: spelling %q: probability %v", u, c, p)
			}
		}
	}
	for cls, us := range t.Context {
		if !slices.Contains(transClasses[:], cls) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "context %q: want one of %s", cls, strings.Join(transClasses[:], ", "))
		}
		for u, sp := range us {
			if t.Spell[u] == nil {
				return nil, fedmatch.E(op, fedmatch.Invalid, "context %q: unit %q has no spellings", cls, u)
			}
			for c, n := range sp {
				if !t.spelling(c) {
					return nil, fedmatch.E(op, fedmatch.Invalid, "context %q: unit %q: spelling %q: want up to %d letters A-Z", cls, u, c, t.MaxLatin)
				}
				if !(n > 0 && n <= transCalBound) {
					return nil, fedmatch.E(op, fedmatch.Invalid, "context %q: unit %q: spelling %q: count %v", cls, u, c, n)
				}
			}
		}
	}
	for k, p := range t.Letters {
		if rs := []rune(k); len(rs) != 2 || letterIndex(rs[0]) < 0 || letterIndex(rs[0]) > 26 || letterIndex(rs[1]) < 1 || !(p > 0 && p <= 1) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "letters %q: %v", k, p)
		}
	}
	for s, c := range t.Calibration {
		if len(c) != len(transLevels) || !slices.IsSorted(c) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "calibration %q: want %d rising scores", s, len(transLevels))
		}
		// Scores are log-likelihood ratios of short names, tens of nats;
		// a bound keeps interpolation between points from overflowing.
		if c[0] < -transCalBound || c[len(c)-1] > transCalBound {
			return nil, fedmatch.E(op, fedmatch.Invalid, "calibration %q: scores beyond ±%g", s, float64(transCalBound))
		}
	}
	t.compile()
	return &t, nil
}

// spelling reports whether c can be a spelling: up to MaxLatin letters A-Z.
func (t *Transliteration) spelling(c string) bool {
	return len(c) <= t.MaxLatin && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// scriptKey names the script a name is written in, for calibration: the
// first letter's outside Latin.
func scriptKey(s string) string {
	for _, r := range s {
		switch {
		case r < 0x250 || !unicode.IsLetter(r):
		case r >= 0xAC00 && r <= 0xD7A3:
			return "hangul"
		case unicode.In(r, unicode.Katakana, unicode.Hiragana):
			return "kana"
		case unicode.Is(unicode.Han, r):
			return "han"
		case unicode.Is(unicode.Cyrillic, r):
			return "cyrillic"
		case unicode.Is(unicode.Greek, r):
			return "greek"
		case unicode.Is(unicode.Hebrew, r):
			return "hebrew"
		case unicode.Is(unicode.Arabic, r):
			return "arabic"
		default:
			return "other"
		}
	}
	return ""
}

// transUnits splits a name in another script into the units the model
// spells; nil when it holds none (a Latin name, or digits).
func transUnits(s string) []string {
	var out []string
	rs := []rune(norm.NFC.String(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= 0xAC00 && r <= 0xD7A3:
			for _, j := range norm.NFD.String(string(r)) {
				out = append(out, string(j))
			}
		case unicode.Is(unicode.Han, r):
			out = append(out, pinyinParts(hanReading(r))...)
		case unicode.In(r, unicode.Katakana, unicode.Hiragana):
			if r >= 'ぁ' && r <= 'ゖ' {
				r += 'ァ' - 'ぁ' // hiragana as katakana
			}
			u := string(r)
			for i+1 < len(rs) && smallKana(rs[i+1]) {
				i++
				u += string(rs[i])
			}
			out = append(out, u)
		case unicode.IsLetter(r) && r >= 0x250:
			out = append(out, string(unicode.ToLower(r)))
		}
	}
	return out
}

// hanReading is a Chinese character's pinyin syllable, upper case and
// without tones. Transliterations choose characters for their sound, so
// characters read alike are learnt as one: units of the characters
// themselves, tried, recalled 3 to 6 points less on pairs held out.
func hanReading(r rune) string {
	for _, p := range pinyin.SinglePinyin(r, pinyinArgs) {
		return strings.ToUpper(p)
	}
	return string(r)
}

// pinyinParts splits a pinyin syllable into its initial and final, the
// units a Chinese character is learnt as: each is seen far more often
// than whole syllables (recall on pairs held out +3 points).
func pinyinParts(p string) []string {
	for _, ini := range []string{"ZH", "CH", "SH", "B", "P", "M", "F", "D", "T", "N", "L", "G", "K", "H", "J", "Q", "X", "R", "Z", "C", "S", "Y", "W"} {
		if strings.HasPrefix(p, ini) && len(p) > len(ini) {
			return append([]string{ini + "-"}, pinyinFinal(p[len(ini):])...)
		}
	}
	return pinyinFinal(p)
}

// pinyinFinal splits a final's glide (I, U) from the rest when the rest is
// a final of its own: IAN as I and AN.
func pinyinFinal(f string) []string {
	if len(f) > 1 && (f[0] == 'I' || f[0] == 'U') && strings.IndexByte("AEO", f[1]) >= 0 {
		return []string{f[:1] + "~", "-" + f[1:]}
	}
	return []string{"-" + f}
}

// smallKana reports the small kana that join the kana before them (キャ KYA,
// ティ TI); small ッ doubles the next consonant and stands alone.
func smallKana(r rune) bool {
	return strings.ContainsRune("ァィゥェォャュョヮぁぃぅぇぉゃゅょゎ", r)
}

// transLatin is a Latin name as the model reads it: letters A–Z only,
// spelt as it sounds (phoneticSpelling: no doubled letters, X as KS, PH
// as F). Other scripts write sounds, so one spelling of a sound pools what
// the model learns of it: Chinese recall rose from 0.849 to 0.858 held
// out, the other scripts moved less than 0.002.
func transLatin(s string) string {
	return phoneticSpelling(string(latinLetters(s)))
}

// latinLetters is the letters A–Z of a Latin name's compact form.
func latinLetters(s string) []byte {
	c := Compact(s)
	b := make([]byte, 0, len(c))
	for i := 0; i < len(c); i++ {
		if c[i] >= 'A' && c[i] <= 'Z' {
			b = append(b, c[i])
		}
	}
	return b
}

// spokenLatin is a second reading of a Latin name for the model, as its
// source language says it where English spelling misleads: French T, D, S
// or X unsounded after a final vowel, AU and EAU as O, OU as U; Italian
// CI and CE as CHI and CHE; GH unsounded and TH as T; Polish SZ and CZ as
// SH and CH; GN as NY and QU as K. Other scripts write what they heard
// (Bardot 芭杜, Rigaud 里戈, Ricci 里奇). Scored beside transLatin's
// reading, the better of the two counting, it raised held-out recall in
// every script (Chinese 0.858 to 0.864, katakana 0.949 to 0.953). Tried
// and dropped: W as V and J as Y (they cost as much as they gained), and
// training on whichever reading the model finds likelier (no change).
func spokenLatin(s string) string {
	b := latinLetters(s)
	for len(b) > 3 && strings.IndexByte("TDSX", b[len(b)-1]) >= 0 && strings.IndexByte("AEIOU", b[len(b)-2]) >= 0 {
		b = b[:len(b)-1]
	}
	return phoneticSpelling(spokenRules.Replace(string(b)))
}

var spokenRules = strings.NewReplacer("EAU", "O", "AU", "O", "OU", "U", "CCI", "CHI", "CCE", "CHE", "CI", "CHI", "CE", "CHE",
	"GH", "", "TH", "T", "SZ", "SH", "CZ", "CH", "GN", "NY", "QU", "K")

// Score is the log-likelihood ratio (in nats) that latin is a spelling of
// other, against latin being an unrelated name: above zero when the model
// finds latin likelier as other's spelling than as any name. It is 0 when
// either has nothing to compare.
func (t *Transliteration) Score(latin, other string) float64 {
	lat, ids := transLatin(latin), t.ids(transUnits(other), nil)
	if lat == "" || len(ids) == 0 {
		return 0
	}
	return t.llr(lat, ids)
}

func (t *Transliteration) llr(lat string, ids []int32) float64 {
	return t.conditional(lat, ids, nil) - t.background(lat)
}

// ids gives each unit its id; a unit the model does not know is -1, or,
// while training, interned by intern.
func (t *Transliteration) ids(units []string, intern func(string) int32) []int32 {
	out := make([]int32, len(units))
	for i, u := range units {
		id, ok := t.units[u]
		switch {
		case ok:
		case intern != nil:
			id = intern(u)
		default:
			id = -1
		}
		out[i] = id
	}
	return out
}

// prepare returns what nameSimilarity needs to compare s, a name in
// another script, with Latin names: the model, when s's script is
// calibrated, and s's units and script.
func (t *Transliteration) prepare(s string) (*Transliteration, []int32, string) {
	key := scriptKey(s)
	if t.Calibration[key] == nil {
		return nil, nil, ""
	}
	ids := t.ids(transUnits(s), nil)
	if len(ids) == 0 {
		return nil, nil, ""
	}
	return t, ids, key
}

// similarity is the similarity of lat, a Latin name, and o, a name in
// another script this model knows, given the rules' similarity: the
// learned likelihood ratio of lat's best spelling plus the rules', mapped
// through o's script's calibration onto the similarity scale, so that
// crossLevel's thresholds mean the same false-match rates in every script.
func (t *Transliteration) similarity(lat, o name, rules float64) float64 {
	x := t.combined(lat, o, rules)
	if math.IsInf(x, -1) {
		return rules
	}
	return t.calibrate(o.key, x)
}

// combined is the learned log-likelihood ratio of lat's likeliest form
// as a spelling of o, plus the rules' similarity weighed; -Inf when lat
// has no form to score.
func (t *Transliteration) combined(lat, o name, rules float64) float64 {
	best := math.Inf(-1)
	for _, l := range lat.letters {
		best = max(best, t.conditional(l, o.ids, nil)-t.background(l))
	}
	return best + transRuleWeight*rules
}

// calibrate maps a combined score onto the similarity scale through the
// script's calibration points, linearly between them and beyond them
// with the nearest segment's slope, within [0, 0.99]: 1 is kept for names
// written alike.
func (t *Transliteration) calibrate(key string, x float64) float64 {
	c := t.Calibration[key]
	i := 1
	for i < len(c)-1 && x > c[i] {
		i++
	}
	x0, x1, y0, y1 := c[i-1], c[i], transLevels[i-1], transLevels[i]
	y := y0
	if x1 > x0 {
		y = y0 + (x-x0)*(y1-y0)/(x1-x0)
	}
	return min(max(y, 0), 0.99)
}

// joint is log P(units, lat), summed over every alignment; with counts, it
// also adds each spelling's expected count in this pair (forward–backward,
// for training).
func (t *Transliteration) joint(lat string, ids []int32, counts map[spellKey]float64) float64 {
	m, n := len(ids), len(lat)
	w := n + 1
	// Names are short: their lattices fit on the stack, so scoring, which
	// runs for every cross-script candidate, allocates nothing.
	var small [2][384]float64
	alpha, beta := small[0][:0], small[1][:0]
	if (m+1)*w > len(small[0]) {
		alpha, beta = make([]float64, 0, (m+1)*w), make([]float64, 0, (m+1)*w)
	}
	alpha = lattice(alpha, (m+1)*w)
	alpha[0] = 0
	for i := 0; i < m; i++ {
		for j := 0; j <= n; j++ {
			if a := alpha[i*w+j]; !math.IsInf(a, -1) {
				t.edges(lat, ids[i], j, func(k int, _ spellKey, lp float64) {
					alpha[(i+1)*w+j+k] = logAdd(alpha[(i+1)*w+j+k], a+lp)
				})
			}
		}
	}
	z := alpha[m*w+n]
	if counts == nil || math.IsInf(z, -1) {
		return z
	}
	beta = lattice(beta, (m+1)*w)
	beta[m*w+n] = 0
	for i := m - 1; i >= 0; i-- {
		for j := 0; j <= n; j++ {
			t.edges(lat, ids[i], j, func(k int, _ spellKey, lp float64) {
				beta[i*w+j] = logAdd(beta[i*w+j], lp+beta[(i+1)*w+j+k])
			})
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j <= n; j++ {
			if a := alpha[i*w+j]; !math.IsInf(a, -1) {
				t.edges(lat, ids[i], j, func(k int, key spellKey, lp float64) {
					if b := beta[(i+1)*w+j+k]; !math.IsInf(b, -1) {
						counts[key] += math.Exp(a + lp + b - z)
					}
				})
			}
		}
	}
	return z
}

// conditional is log P(lat | units), summed over every alignment, each
// unit's spelling weighed in the context class the unit before it left
// (condProb); with counts, it also adds each spelling's expected count in
// its class in this pair (forward–backward, for training Context). The
// lattice has a cell per units spelt, letters spelt and class. It holds
// probabilities, not logs, each row scaled by its largest cell: a unit
// always moves one row on, so a row's scale is all the next needs, and
// sums cost no logarithms (scoring runs for every cross-script candidate).
func (t *Transliteration) conditional(lat string, ids []int32, counts map[ctxKey]float64) float64 {
	const nc = len(transClasses)
	m, n := len(ids), len(lat)
	w := (n + 1) * nc
	// Names are short: their lattices fit on the stack.
	var small [2][1536]float64
	var scales [2][48]float64
	alpha, beta, sa, sb := small[0][:], small[1][:], scales[0][:], scales[1][:]
	if (m+1)*w > len(alpha) || m+1 > len(sa) {
		alpha, beta, sa, sb = make([]float64, (m+1)*w), make([]float64, (m+1)*w), make([]float64, m+1), make([]float64, m+1)
	}
	alpha, sa = alpha[:(m+1)*w], sa[:m+1]
	clear(alpha)
	alpha[classStart], sa[0] = 1, 0
	for i := 0; i < m; i++ {
		row, next := alpha[i*w:(i+1)*w], alpha[(i+1)*w:(i+2)*w]
		for j := 0; j <= n; j++ {
			from := row[j*nc : j*nc+nc]
			if [nc]float64(from) == [nc]float64{} {
				continue
			}
			t.edges(lat, ids[i], j, func(k int, key spellKey, lp float64) {
				p, x := t.condProb(key, lp), 0.0
				for c, a := range from {
					x += a * p[c]
				}
				next[(j+k)*nc+int(chunkClass(lat, j+k, k))] += x
			})
		}
		if sa[i+1] = sa[i] + rescale(next); math.IsInf(sa[i+1], -1) {
			return sa[i+1] // no alignment spells lat
		}
	}
	total := 0.0
	for _, x := range alpha[m*w+n*nc : m*w+n*nc+nc] {
		total += x
	}
	z := sa[m] + math.Log(total)
	if counts == nil || math.IsInf(z, -1) {
		return z
	}
	beta, sb = beta[:(m+1)*w], sb[:m+1]
	clear(beta)
	for c := range nc {
		beta[m*w+n*nc+c] = 1
	}
	sb[m] = 0
	for i := m - 1; i >= 0; i-- {
		row, next := beta[i*w:(i+1)*w], beta[(i+1)*w:(i+2)*w]
		for j := 0; j <= n; j++ {
			t.edges(lat, ids[i], j, func(k int, key spellKey, lp float64) {
				p, b := t.condProb(key, lp), next[(j+k)*nc+int(chunkClass(lat, j+k, k))]
				for c := range nc {
					row[j*nc+c] += p[c] * b
				}
			})
		}
		sb[i] = sb[i+1] + rescale(row)
	}
	for i := 0; i < m; i++ {
		f := math.Exp(sa[i] + sb[i+1] - z)
		for j := 0; j <= n; j++ {
			from := alpha[i*w+j*nc : i*w+j*nc+nc]
			t.edges(lat, ids[i], j, func(k int, key spellKey, lp float64) {
				p, b := t.condProb(key, lp), beta[(i+1)*w+(j+k)*nc+int(chunkClass(lat, j+k, k))]
				for c, a := range from {
					if x := a * p[c] * b; x > 0 {
						counts[ctxKey{key, uint8(c)}] += f * x
					}
				}
			})
		}
	}
	return z
}

// rescale divides a lattice row by its largest cell and returns that
// cell's log; -Inf when every cell is zero.
func rescale(row []float64) float64 {
	top := 0.0
	for _, x := range row {
		top = max(top, x)
	}
	if top == 0 {
		return math.Inf(-1)
	}
	for i := range row {
		row[i] /= top
	}
	return math.Log(top)
}

// condProb is P(chunk | unit, class) in each class, given lp, log P(unit,
// chunk): from the counts in context where Context has them, backing off
// to the spelling's probability without context (a Dirichlet prior
// weighing transContextWeight counts).
func (t *Transliteration) condProb(key spellKey, lp float64) [len(transClasses)]float64 {
	var out [len(transClasses)]float64
	var p float64
	switch {
	case key.unit < 0:
		p = math.Exp(lp - t.floor)
	case t.ctx == nil:
		p = math.Exp(lp - t.marg[key.unit])
	default:
		if c, ok := t.ctx[key]; ok {
			return *c
		}
		p = math.Exp(lp - t.marg[key.unit])
		for c, b := range t.ctxBack[key.unit] {
			out[c] = p * b
		}
		return out
	}
	for c := range out {
		out[c] = p
	}
	return out
}

// lattice extends b to n cells of log probability zero (minus infinity).
func lattice(b []float64, n int) []float64 {
	b = b[:n]
	for i := range b {
		b[i] = math.Inf(-1)
	}
	return b
}

// edges calls f for every way unit id spells the letters of lat from j:
// k letters, with log probability lp.
func (t *Transliteration) edges(lat string, id int32, j int, f func(k int, key spellKey, lp float64)) {
	var code uint32
	for k := 0; k <= t.MaxLatin && j+k <= len(lat); k++ {
		if k > 0 {
			code = code*27 + uint32(lat[j+k-1]-'A'+1)
		}
		key := spellKey{id, code}
		if lp := t.logSpell(key, k); !math.IsInf(lp, -1) {
			f(k, key, lp)
		}
	}
}

func (t *Transliteration) logSpell(key spellKey, k int) float64 {
	if key.unit < 0 {
		return math.Log((1-transKeep)/2) + t.floor + t.fresh[k]
	}
	if p, ok := t.spell[key]; ok {
		return p
	}
	if t.marg == nil { // training: only the spellings seen
		return math.Inf(-1)
	}
	return math.Log((1-transKeep)/2) + t.marg[key.unit] + t.fresh[k]
}

// background is log P(lat) under the letter bigram model.
func (t *Transliteration) background(lat string) float64 {
	p, prev := 0.0, 0
	for i := 0; i < len(lat); i++ {
		c := int(lat[i]-'A') + 1
		p += t.bigram[prev][c]
		prev = c
	}
	return p + t.bigram[prev][27]
}

// logAdd is log(exp(a) + exp(b)) without leaving the log domain.
func logAdd(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// TransPair is a name in Latin letters and the same name in another script.
type TransPair struct{ Latin, Other string }

// TrainTransliteration fits a Transliteration to known pairs by EM, then
// calibrates it per script against unrelated pairs (each Latin name with
// ten other names of its pair's script, drawn with seed). Spellings start
// equally likely, every chunk a unit could spell in some alignment of some
// pair, and each round re-weighs them by their expected count over all
// alignments of all pairs. Pairs no alignment explains are left out.
// Errors: Invalid when no pair can be learnt from.
func TrainTransliteration(pairs []TransPair, seed uint64) (*Transliteration, error) {
	t := &Transliteration{MaxLatin: transMaxLatin, units: map[string]int32{}, spell: map[spellKey]float64{}}
	var names []string
	intern := func(u string) int32 {
		id := int32(len(names))
		t.units[u] = id
		names = append(names, u)
		return id
	}
	type example struct {
		lat string
		ids []int32
	}
	var data []example
	var latins []string
	for _, p := range pairs {
		lat, us := transLatin(p.Latin), transUnits(p.Other)
		if lat == "" || len(us) == 0 || len(lat) > t.MaxLatin*len(us) {
			continue
		}
		data = append(data, example{lat, t.ids(us, intern)})
		latins = append(latins, lat)
	}
	if len(data) == 0 {
		return nil, fedmatch.E("match.TrainTransliteration", fedmatch.Invalid, "no pair of a Latin name and a name in another script to learn from")
	}
	t.fresh = make([]float64, t.MaxLatin+1)
	for _, d := range data {
		t.reach(d.lat, d.ids)
	}
	for k := range t.spell {
		t.spell[k] = -math.Log(float64(len(t.spell)))
	}
	for range transRounds {
		counts := make(map[spellKey]float64, len(t.spell))
		for _, d := range data {
			t.joint(d.lat, d.ids, counts)
		}
		total := 0.0
		for _, c := range counts {
			total += c
		}
		for k := range t.spell {
			if c := counts[k]; c > 0 {
				t.spell[k] = math.Log(c / total)
			} else {
				delete(t.spell, k)
			}
		}
	}
	t.Spell = map[string]map[string]float64{}
	for k, lp := range t.spell {
		// Spellings seen less than about once in all the pairs are noise.
		if p := math.Exp(lp); p*float64(len(data)) >= 0.5 {
			u := names[k.unit]
			if t.Spell[u] == nil {
				t.Spell[u] = map[string]float64{}
			}
			t.Spell[u][chunkString(k.chunk)] = p
		}
	}
	t.Letters = letterBigrams(latins)
	t.compile()
	// Each spelling's expected count in each context, under the model
	// without context: one pass. EM rounds in context sharpen the counts
	// and recalled less held out (Chinese 0.893 to 0.887 on one half,
	// tried with a finer context).
	counts := map[ctxKey]float64{}
	compiled := t.ids(names, nil) // training's unit ids to compile's
	for _, d := range data {
		ids := make([]int32, len(d.ids))
		for i, id := range d.ids {
			ids[i] = compiled[id]
		}
		t.conditional(d.lat, ids, counts)
	}
	t.Context = contextCounts(counts, t.compiledNames())
	t.compile()
	t.Calibration = t.calibration(pairs, seed)
	return t, nil
}

// contextCounts is Context from counts, units named by names: counts
// below transContextFloor are dropped, the rest kept to three digits.
func contextCounts(counts map[ctxKey]float64, names []string) map[string]map[string]map[string]float64 {
	out := map[string]map[string]map[string]float64{}
	for k, c := range counts {
		if c < transContextFloor || k.unit < 0 { // a unit without spellings is not learnt
			continue
		}
		cls, u := transClasses[k.class], names[k.unit]
		if out[cls] == nil {
			out[cls] = map[string]map[string]float64{}
		}
		if out[cls][u] == nil {
			out[cls][u] = map[string]float64{}
		}
		out[cls][u][chunkString(k.chunk)], _ = strconv.ParseFloat(strconv.FormatFloat(c, 'g', 3, 64), 64)
	}
	return out
}

// compiledNames is each compiled unit's name, by id.
func (t *Transliteration) compiledNames() []string {
	out := make([]string, len(t.units))
	for u, id := range t.units {
		out[id] = u
	}
	return out
}

// reach adds to t.spell every spelling on a complete alignment of lat.
func (t *Transliteration) reach(lat string, ids []int32) {
	m, n := len(ids), len(lat)
	// Unit i may spell lat[j:j+k] when the units before it can spell j
	// letters and those after it the rest.
	for i, id := range ids {
		for j := max(0, n-(m-i)*t.MaxLatin); j <= min(n, i*t.MaxLatin); j++ {
			var code uint32
			for k := 0; k <= t.MaxLatin && j+k <= n; k++ {
				if k > 0 {
					code = code*27 + uint32(lat[j+k-1]-'A'+1)
				}
				if n-(j+k) <= (m-i-1)*t.MaxLatin {
					t.spell[spellKey{id, code}] = 0
				}
			}
		}
	}
}

// calibration scores each pair's Latin name against transNegatives other
// names of the same script, as similarity would, and returns per script
// the scores that each of 10 %, 1 %, 0.1 % and 0.01 % of them exceed.
func (t *Transliteration) calibration(pairs []TransPair, seed uint64) map[string][]float64 {
	byScript := map[string][]int{}
	for i, p := range pairs {
		if k := scriptKey(p.Other); k != "" && isASCII(transLatin(p.Latin)) {
			byScript[k] = append(byScript[k], i)
		}
	}
	out := map[string][]float64{}
	rng := rand.New(rand.NewPCG(seed, 0x7a11))
	// Scripts in order: they share rng, so the draws, and the points,
	// would otherwise change from one training to the next.
	for _, key := range slices.Sorted(maps.Keys(byScript)) {
		idx := byScript[key]
		if len(idx) < 100 {
			continue // too few to know a 0.01 % point from
		}
		var neg []float64
		for _, i := range idx {
			lat := newName(pairs[i].Latin, nil)
			for range transNegatives {
				j := idx[rng.IntN(len(idx))]
				if strings.EqualFold(pairs[j].Latin, pairs[i].Latin) {
					continue
				}
				o := newName(pairs[j].Other, nil)
				o.learnt, o.ids, o.key = t, t.ids(transUnits(pairs[j].Other), nil), key
				rules, _ := nameSimilarity(lat, name{forms: o.forms, script: o.script})
				neg = append(neg, t.combined(lat, o, rules))
			}
		}
		slices.Sort(neg)
		c := make([]float64, len(transLevels))
		for l := range c {
			fmr := math.Pow(10, -float64(l+1))
			c[l] = neg[max(0, len(neg)-int(float64(len(neg))*fmr)-1)]
		}
		out[key] = c
	}
	return out
}

// letterBigrams fits the background letter bigrams, add-one smoothed.
func letterBigrams(names []string) map[string]float64 {
	var n [28][28]float64
	for _, s := range names {
		prev := 0
		for i := 0; i < len(s); i++ {
			c := int(s[i]-'A') + 1
			n[prev][c]++
			prev = c
		}
		n[prev][27]++
	}
	out := map[string]float64{}
	for a := 0; a < 27; a++ {
		sum := 0.0
		for b := 1; b < 28; b++ {
			sum += n[a][b] + 1
		}
		for b := 1; b < 28; b++ {
			out[letterName(a)+letterName(b)] = (n[a][b] + 1) / sum
		}
	}
	return out
}

func chunkString(c uint32) string {
	var b []byte
	for ; c > 0; c /= 27 {
		b = append(b, byte(c%27)-1+'A')
	}
	slices.Reverse(b)
	return string(b)
}

func chunkCode(s string) uint32 {
	var c uint32
	for i := 0; i < len(s); i++ {
		c = c*27 + uint32(s[i]-'A'+1)
	}
	return c
}

func letterName(i int) string {
	switch i {
	case 0:
		return "^"
	case 27:
		return "$"
	}
	return string(rune('A' + i - 1))
}

func letterIndex(r rune) int {
	switch {
	case r == '^':
		return 0
	case r == '$':
		return 27
	case r >= 'A' && r <= 'Z':
		return int(r-'A') + 1
	}
	return -1
}

// compile builds the lookup tables scoring reads from the exported
// fields: each spelling's probability mixed with an even spread over every
// chunk (transKeep), so a spelling never seen costs much but does not rule
// a name out; each unit's marginal; the background bigrams.
func (t *Transliteration) compile() {
	t.units = map[string]int32{}
	t.spell = map[spellKey]float64{}
	t.marg = nil
	t.fresh = make([]float64, t.MaxLatin+1)
	for k := range t.fresh {
		// Each length alike, each letter alike.
		t.fresh[k] = -math.Log(float64(t.MaxLatin+1)) - float64(k)*math.Log(26)
	}
	t.floor = 0
	for u, sp := range t.Spell {
		id := int32(len(t.marg))
		t.units[u] = id
		pu := 0.0
		for _, p := range sp {
			pu += p
		}
		t.marg = append(t.marg, math.Log(pu))
		t.floor = min(t.floor, math.Log(pu))
		// Half the rest goes to the learnt spellings with a vowel
		// before or after: scripts that leave vowels out (כהן, COHEN)
		// attach them to any letter.
		p := map[string]float64{}
		for c, q := range sp {
			p[c] += transKeep * q
			for _, v := range transVowels {
				if len(c) < t.MaxLatin {
					p[v+c] += (1 - transKeep) / 2 * q / (2 * float64(len(transVowels)))
					p[c+v] += (1 - transKeep) / 2 * q / (2 * float64(len(transVowels)))
				}
			}
		}
		for c, q := range p {
			t.spell[spellKey{id, chunkCode(c)}] = math.Log(q + (1-transKeep)/2*pu*math.Exp(t.fresh[len(c)]))
		}
	}
	t.ctx, t.ctxBack = nil, nil
	if len(t.Context) > 0 {
		// Each unit's counts in each class, which its spellings there
		// back off by: with none, a spelling keeps its probability.
		totals := make([][len(transClasses)]float64, len(t.marg))
		for c, cls := range transClasses {
			for u, sp := range t.Context[cls] {
				for _, n := range sp {
					totals[t.units[u]][c] += n // ParseTransliteration checked u is a unit
				}
			}
		}
		t.ctxBack = make([][len(transClasses)]float64, len(t.marg))
		for id, tot := range totals {
			for c, n := range tot {
				t.ctxBack[id][c] = transContextWeight / (n + transContextWeight)
			}
		}
		t.ctx = map[spellKey]*[len(transClasses)]float64{}
		for _, cls := range transClasses {
			for u, sp := range t.Context[cls] {
				id := t.units[u]
				for ch := range sp {
					key := spellKey{id, chunkCode(ch)}
					if t.ctx[key] != nil {
						continue // done from an earlier class
					}
					pu := math.Exp(t.logSpell(key, len(ch)) - t.marg[id])
					var p [len(transClasses)]float64
					for c, cls := range transClasses {
						p[c] = (t.Context[cls][u][ch] + transContextWeight*pu) / (totals[id][c] + transContextWeight)
					}
					t.ctx[key] = &p
				}
			}
		}
	}
	for a := range t.bigram {
		for b := range t.bigram[a] {
			t.bigram[a][b] = math.Log(1.0 / 27)
		}
	}
	for k, p := range t.Letters {
		rs := []rune(k)
		t.bigram[letterIndex(rs[0])][letterIndex(rs[1])] = math.Log(p)
	}
}

// Marshal encodes the model as ParseTransliteration reads it, keys sorted
// so a retrained model diffs cleanly.
func (t *Transliteration) Marshal() ([]byte, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fedmatch.E("match.Transliteration.Marshal", fedmatch.Internal, "%w", err)
	}
	return append(b, '\n'), nil
}

// NameSimilarity is the package's NameSimilarity with this model; a nil
// model compares by the rules alone.
func (t *Transliteration) NameSimilarity(a, b string) float64 {
	s, _ := nameSimilarity(newName(a, t), newName(b, t))
	return s
}

// String is a summary: units, spellings and calibrated scripts.
func (t *Transliteration) String() string {
	n := 0
	for _, sp := range t.Spell {
		n += len(sp)
	}
	keys := make([]string, 0, len(t.Calibration))
	for k := range t.Calibration {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Sprintf("%d units, %d spellings, calibrated for %s", len(t.Spell), n, strings.Join(keys, ", "))
}
