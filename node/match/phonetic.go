package match

import "strings"

// Phonetic edit distance, after Zobel and Dart's Editex (1996): an edit
// distance in which a substitution within a class of letters that sound
// alike costs little, and a vowel costs less to insert or drop than a
// consonant. Romanisations of the same name from another script differ
// in just these ways: vowels the script does not write, a P written as B,
// an L written as R.

// Edit costs, chosen on the Wikidata name pairs (../shared/data/names):
// cheaper vowels let unrelated names too close.
const (
	costVowelIndel = 0.6 // insert or drop a vowel, H, W or Y
	costVowelSub   = 0.2 // one vowel for another
	costClassSub   = 0.3 // one consonant for another of its class
	costOther      = 1.0 // anything else
	costEpenthetic = 0.3 // insert or drop U or O, in Japanese, Korean and Chinese
)

// phoneticClass is a letter's class: B P F V; C G K Q X; D T; J S Z;
// M N; L and R together only when lr is set (Korean, Japanese and Chinese
// write them alike); vowels with H, W and Y as '.'.
func phoneticClass(c byte, lr bool) byte {
	switch c {
	case 'B', 'P', 'F', 'V':
		return 'B'
	case 'C', 'G', 'K', 'Q', 'X':
		return 'K'
	case 'D', 'T':
		return 'T'
	case 'J', 'S', 'Z':
		return 'S'
	case 'M', 'N':
		return 'N'
	case 'L', 'R':
		if lr {
			return 'R'
		}
	case 'A', 'E', 'I', 'O', 'U', 'Y', 'H', 'W':
		return '.'
	}
	return c
}

// phoneticSpelling rewrites a compact upper-case Latin name as it sounds,
// as far as spelling alone tells: other scripts write sounds, not Latin
// letters, and never a doubled one. PH is F, CK K, SCH SH, X KS, TZ TS; C
// is S before E, I or Y and K elsewhere (CH stays); repeated letters are
// one.
func phoneticSpelling(s string) string {
	s = phoneticDigraphs.Replace(s)
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'C' && i+1 < len(s) && s[i+1] != 'H' {
			if strings.IndexByte("EIY", s[i+1]) >= 0 {
				c = 'S'
			} else {
				c = 'K'
			}
		}
		if len(b) > 0 && b[len(b)-1] == c {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

var phoneticDigraphs = strings.NewReplacer("PH", "F", "CK", "K", "SCH", "SH", "X", "KS", "TZ", "TS")

// PhoneticSimilarity is 1 less the phonetic edit distance of two compact
// upper-case Latin names, each as phoneticSpelling writes it, over the
// longer's length (0 when either is empty); lr merges L and R.
func PhoneticSimilarity(a, b string, lr bool) float64 {
	a, b = phoneticSpelling(a), phoneticSpelling(b)
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return 0
	}
	indel := func(c byte) float64 {
		switch {
		case lr && (c == 'U' || c == 'O'):
			// Japanese and Korean write a consonant the source ends a
			// syllable on with a vowel after it (STRYKER: SUTORAIKA).
			return costEpenthetic
		case phoneticClass(c, lr) == '.':
			return costVowelIndel
		}
		return costOther
	}
	sub := func(x, y byte) float64 {
		cx, cy := phoneticClass(x, lr), phoneticClass(y, lr)
		switch {
		case x == y:
			return 0
		case cx == '.' && cy == '.':
			return costVowelSub
		case cx == cy, x == 'W' && cy == 'B', y == 'W' && cx == 'B':
			// Hebrew and Arabic write W and V with one letter, and a
			// German W (a V) as Arabic F.
			return costClassSub
		}
		return costOther
	}
	// Two rows of the distance table; names are short, so on the stack.
	var buf [2][65]float64
	var prev, cur []float64
	if m < 65 {
		prev, cur = buf[0][:m+1], buf[1][:m+1]
	} else {
		prev, cur = make([]float64, m+1), make([]float64, m+1)
	}
	for j := 1; j <= m; j++ {
		prev[j] = prev[j-1] + indel(b[j-1])
	}
	for i := 1; i <= n; i++ {
		cur[0] = prev[0] + indel(a[i-1])
		for j := 1; j <= m; j++ {
			cur[j] = min(prev[j-1]+sub(a[i-1], b[j-1]), prev[j]+indel(a[i-1]), cur[j-1]+indel(b[j-1]))
		}
		prev, cur = cur, prev
	}
	return max(0, 1-prev[m]/float64(max(n, m)))
}
