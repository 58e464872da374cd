// Package match is the node's matcher. Names are normalised into the forms
// agencies write them in (folded, ICAO 9303, romanised from other scripts,
// without particles); a probe reaches records through blocking keys (go-memdb
// indexes in the store), and each candidate is compared field by field into
// agreement levels, weighed by a Fellegi–Sunter model whose m and u are
// data (Model, estimated by Estimate or EstimateLabelled) and reported as a
// match probability. Records are prepared once when stored (Index) and a
// probe once per query (Prepare), so scoring a candidate normalises nothing.
package match

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldSpecial maps letters that do not decompose into a base letter plus
// marks to their conventional Latin spelling.
var foldSpecial = strings.NewReplacer(
	"ß", "SS", "ẞ", "SS", "Æ", "AE", "æ", "AE", "Œ", "OE", "œ", "OE",
	"Ø", "O", "ø", "O", "Ł", "L", "ł", "L", "Đ", "D", "đ", "D", "Þ", "TH", "þ", "TH",
	"ı", "I", "ð", "D",
)

// Normalize folds a name for comparison: letters without accents, upper
// case, any run of non-letters (spaces, hyphens, apostrophes, digits) as
// one space. "  José-María  O'Neil " becomes "JOSE MARIA O NEIL".
func Normalize(s string) string {
	if !isASCII(s) {
		s = foldSpecial.Replace(s)
		t := stripMarks.Get().(transform.Transformer)
		if out, _, err := transform.String(t, s); err == nil {
			s = out
		}
		stripMarks.Put(t)
	} else if isNormalASCII(s) {
		return s // already upper case, single-spaced letters: most stored names
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		space = true
	}
	return b.String()
}

// stripMarks pools accent-stripping transformers: building one is far
// dearer than using it, and one may not be used by two goroutines at once.
var stripMarks = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isNormalASCII reports whether s is already in Normalize's output form.
func isNormalASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && i > 0 && i < len(s)-1 && s[i-1] != ' ' {
			continue
		}
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Compact is Normalize without spaces, so "Mc Donald" and "McDonald" meet.
func Compact(s string) string { return strings.ReplaceAll(Normalize(s), " ", "") }

// DocNumber normalises a document number: upper case, letters and digits
// only, as read from an MRZ or typed by an officer.
func DocNumber(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
