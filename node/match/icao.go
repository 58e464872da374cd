package match

import (
	"slices"
	"strings"
	"unicode"
)

// icaoLatin is ICAO Doc 9303 Part 3's transliteration of Latin letters
// with diacritics where it differs from dropping the mark (Ä→AE, Å→AA,
// Ö/Ø→OE, Ü→UE, ß→SS, Þ→TH ...); every other accented letter loses its
// mark, as in Normalize.
var icaoLatin = map[rune]string{
	'Ä': "AE", 'Å': "AA", 'Æ': "AE", 'Ö': "OE", 'Ø': "OE", 'Œ': "OE", 'Ü': "UE",
	'ß': "SS", 'ẞ': "SS", 'Þ': "TH", 'Ð': "D", 'Đ': "D", 'Ħ': "H", 'Ĳ': "IJ", 'Ł': "L", 'Ŋ': "N", 'Ŧ': "T", 'ı': "I",
}

// icaoCyrillic is ICAO Doc 9303 Part 3's Cyrillic table (Russian, with
// the Ukrainian, Belarusian, Serbian and Macedonian letters it lists).
var icaoCyrillic = map[rune]string{
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "ZH", 'З': "Z", 'И': "I", 'Й': "I",
	'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U", 'Ф': "F",
	'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH", 'Щ': "SHCH", 'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU", 'Я': "IA",
	'Ґ': "G", 'Є': "IE", 'І': "I", 'Ї': "I", 'Ў': "U", 'Ђ': "D", 'Ѓ': "G", 'Ѕ': "DZ", 'Ј': "J", 'Љ': "LJ", 'Њ': "NJ",
	'Ќ': "K", 'Ћ': "C", 'Џ': "DZ",
}

// icaoGreek is ICAO Doc 9303 Part 3's Greek table.
var icaoGreek = map[rune]string{
	'Α': "A", 'Β': "V", 'Γ': "G", 'Δ': "D", 'Ε': "E", 'Ζ': "Z", 'Η': "I", 'Θ': "TH", 'Ι': "I", 'Κ': "K", 'Λ': "L",
	'Μ': "M", 'Ν': "N", 'Ξ': "X", 'Ο': "O", 'Π': "P", 'Ρ': "R", 'Σ': "S", 'Τ': "T", 'Υ': "Y", 'Φ': "F", 'Χ': "CH",
	'Ψ': "PS", 'Ω': "O", 'Ά': "A", 'Έ': "E", 'Ή': "I", 'Ί': "I", 'Ό': "O", 'Ύ': "Y", 'Ώ': "O", 'Ϊ': "I", 'Ϋ': "Y",
}

// greekDigraphs are the Greek letter pairs the table writes as one sound.
var greekDigraphs = strings.NewReplacer("ΟΥ", "OU", "ΟΎ", "OU", "Ου", "OU", "Ού", "OU", "ου", "OU", "ού", "OU")

// ICAO returns a name as ICAO Doc 9303 Part 3 writes it in an MRZ:
// Müller is MUELLER, Øre OERE, Straße STRASSE, Иванов IVANOV, Παπαδόπουλος
// PAPADOPOULOS. Letters the tables do not name lose their marks; other
// scripts are left to Normalize. Spacing is as in Normalize.
func ICAO(s string) string {
	s = greekDigraphs.Replace(s)
	var b strings.Builder
	for _, r := range s {
		u := unicode.ToUpper(r)
		if t, ok := icaoLatin[u]; ok {
			b.WriteString(t)
		} else if t, ok := icaoCyrillic[u]; ok {
			b.WriteString(t)
		} else if t, ok := icaoGreek[u]; ok {
			b.WriteString(t)
		} else if u == 'Σ' || r == 'ς' {
			b.WriteString("S")
		} else {
			b.WriteRune(r)
		}
	}
	return Normalize(b.String())
}

// Forms returns the compact forms a name is compared and indexed under:
// the folded one (MULLER) and, when it differs, the ICAO one (MUELLER), so
// a probe typed either way meets a record written either way. A name in
// Hangul, kana, Hebrew or Arabic script adds its romanisation (Romanize).
func Forms(s string) []string {
	f := Compact(s)
	icao := ICAO(Romanize(s))
	out := []string{f}
	if i := strings.ReplaceAll(icao, " ", ""); i != f && i != "" {
		out = append(out, i)
	}
	if strings.ContainsRune(s, 'ו') { // a Hebrew vav is O, U or V: both readings
		if v := strings.ReplaceAll(ICAO(romanize(s, true)), " ", ""); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	// A leading particle (van, de, al-, ...) is also left out: "van der
	// Berg" is also BERG, "al-Tirawi" TIRAWI.
	if w := strings.Fields(icao); len(w) > 1 {
		i := 0
		for i < len(w)-1 && particles[w[i]] {
			i++
		}
		if i > 0 {
			out = append(out, strings.Join(w[i:], ""))
		}
	}
	return out
}

// particles are the words before a surname that agencies keep or drop.
var particles = map[string]bool{"AL": true, "EL": true, "VAN": true, "VON": true, "DER": true, "DEN": true, "DE": true,
	"DA": true, "DI": true, "DO": true, "DOS": true, "DAS": true, "DU": true, "DEL": true, "DELLA": true, "LA": true,
	"LE": true, "TER": true, "TEN": true, "BIN": true, "BEN": true, "IBN": true, "ABU": true, "ZU": true}

// NameSimilarity is the similarity of two names as the matcher compares
// surnames: Jaro–Winkler at their closest forms (folded, ICAO or
// romanised), and, when either is written in a non-Latin script, also by
// consonant skeleton (see nameSimilarity), with the default learned
// transliteration.
func NameSimilarity(a, b string) float64 { return DefaultTransliteration().NameSimilarity(a, b) }
