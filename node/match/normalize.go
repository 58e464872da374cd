// Package match holds the node's matchers: pure functions of a probe and
// candidate records, and the blocking keys that let the store find
// candidates by index instead of by scan.
package match

import (
	"strings"
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
	s = foldSpecial.Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	if out, _, err := transform.String(t, s); err == nil {
		s = out
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
