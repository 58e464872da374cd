package match

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Romanisation of scripts ICAO 9303 leaves to the issuing state: Hangul
// (Revised Romanization, computed from the syllable's jamo), katakana and
// hiragana (Hepburn), Chinese characters (Hanyu Pinyin without tones, from
// go-pinyin's table, MIT), Hebrew and Arabic (consonants and the letters that
// write long vowels; short vowels are not written and so not guessed).
// The output is a Latin reading good enough to compare: a name written in
// one of these scripts is compared with its Latin spelling by the
// similarity of the two Latin strings and of their consonant skeletons
// (Skeleton), not by exact equality.

// Hangul jamo in Revised Romanization, initial, medial and final.
var (
	hangulInitial = []string{"G", "KK", "N", "D", "TT", "R", "M", "B", "PP", "S", "SS", "", "J", "JJ", "CH", "K", "T", "P", "H"}
	hangulMedial  = []string{"A", "AE", "YA", "YAE", "EO", "E", "YEO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WO", "WE", "WI", "YU", "EU", "UI", "I"}
	hangulFinal   = []string{"", "K", "K", "KS", "N", "NJ", "NH", "T", "L", "LK", "LM", "LB", "LS", "LT", "LP", "LH", "M", "P", "PS", "T", "T", "NG", "T", "T", "K", "T", "P", "T"}
)

// hangulEU is the medial ㅡ (EU): in loanwords it is the vowel Korean
// inserts after a consonant that ends a syllable in the source (트 TEU
// for a final T), so the romanisation leaves it out when the syllable has
// no final.
const hangulEU = 18

// romanizeHangul writes syllable r, given the one before it (0 if none).
// Beyond Revised Romanization: ㄹ after a final ㄹ is L (LL), and ㅅ
// before a Y vowel is SH (셰인 SHEIN, for Shane), as loanwords write them.
func romanizeHangul(r, prev rune, b *strings.Builder) bool {
	if r < 0xAC00 || r > 0xD7A3 {
		return false
	}
	s := int(r - 0xAC00)
	l, v, t := s/(21*28), (s%(21*28))/28, s%28
	initial, medial := hangulInitial[l], hangulMedial[v]
	switch {
	case initial == "R" && prev >= 0xAC00 && prev <= 0xD7A3 && hangulFinal[int(prev-0xAC00)%28] == "L":
		initial = "L"
	case initial == "S" && strings.HasPrefix(medial, "Y"):
		initial, medial = "SH", medial[1:]
	case initial == "CH" && v == hangulEU && t == 0:
		initial = "TS" // 츠 writes a foreign TS or TZ (겐츠 for Gentz)
	}
	b.WriteString(initial)
	if v != hangulEU || t != 0 {
		b.WriteString(medial)
	}
	b.WriteString(hangulFinal[t])
	return true
}

// kana in Hepburn romanisation, katakana and hiragana alike (hiragana
// are folded to katakana first).
var kana = map[rune]string{
	'ア': "A", 'イ': "I", 'ウ': "U", 'エ': "E", 'オ': "O",
	'カ': "KA", 'キ': "KI", 'ク': "KU", 'ケ': "KE", 'コ': "KO", 'ガ': "GA", 'ギ': "GI", 'グ': "GU", 'ゲ': "GE", 'ゴ': "GO",
	'サ': "SA", 'シ': "SHI", 'ス': "SU", 'セ': "SE", 'ソ': "SO", 'ザ': "ZA", 'ジ': "JI", 'ズ': "ZU", 'ゼ': "ZE", 'ゾ': "ZO",
	'タ': "TA", 'チ': "CHI", 'ツ': "TSU", 'テ': "TE", 'ト': "TO", 'ダ': "DA", 'ヂ': "JI", 'ヅ': "ZU", 'デ': "DE", 'ド': "DO",
	'ナ': "NA", 'ニ': "NI", 'ヌ': "NU", 'ネ': "NE", 'ノ': "NO",
	'ハ': "HA", 'ヒ': "HI", 'フ': "FU", 'ヘ': "HE", 'ホ': "HO", 'バ': "BA", 'ビ': "BI", 'ブ': "BU", 'ベ': "BE", 'ボ': "BO",
	'パ': "PA", 'ピ': "PI", 'プ': "PU", 'ペ': "PE", 'ポ': "PO",
	'マ': "MA", 'ミ': "MI", 'ム': "MU", 'メ': "ME", 'モ': "MO", 'ヤ': "YA", 'ユ': "YU", 'ヨ': "YO",
	'ラ': "RA", 'リ': "RI", 'ル': "RU", 'レ': "RE", 'ロ': "RO", 'ワ': "WA", 'ヰ': "I", 'ヱ': "E", 'ヲ': "O", 'ン': "N",
	'ヴ': "VU", 'ァ': "A", 'ィ': "I", 'ゥ': "U", 'ェ': "E", 'ォ': "O",
}

// romanizeKana writes a run of kana: a small vowel or small ya/yu/yo
// replaces the vowel of the kana before it (フィ FI, キャ KYA, シャ SHA),
// the small tsu doubles the next consonant, and the long-vowel mark
// repeats nothing (names compare better without lengthened vowels).
func romanizeKana(rs []rune, i int, b *strings.Builder) int {
	var syl []string
	double := false
	j := i
	for ; j < len(rs); j++ {
		r := rs[j]
		if r >= 'ぁ' && r <= 'ゖ' {
			r += 'ァ' - 'ぁ' // hiragana to katakana
		}
		switch {
		case r == 'ー':
			continue
		case r == 'ッ':
			double = true
			continue
		case r == 'ャ' || r == 'ュ' || r == 'ョ':
			y := map[rune]string{'ャ': "A", 'ュ': "U", 'ョ': "O"}[r]
			if n := len(syl); n > 0 {
				p := strings.TrimRight(syl[n-1], "AIUEO")
				if strings.HasSuffix(p, "SH") || strings.HasSuffix(p, "CH") || p == "J" {
					syl[n-1] = p + y
				} else {
					syl[n-1] = p + "Y" + y
				}
			}
			continue
		case (r == 'ァ' || r == 'ィ' || r == 'ゥ' || r == 'ェ' || r == 'ォ') && len(syl) > 0:
			n := len(syl)
			if syl[n-1] == "U" { // ウィ, ウェ, ウォ: WI, WE, WO
				syl[n-1] = "W" + kana[r]
			} else {
				syl[n-1] = strings.TrimRight(syl[n-1], "AIUEO") + kana[r]
			}
			continue
		}
		k, ok := kana[r]
		if !ok {
			break
		}
		if double && k != "" && !strings.ContainsRune("AIUEO", rune(k[0])) {
			k = k[:1] + k
		}
		double = false
		syl = append(syl, k)
	}
	// Japanese writes a consonant that ends a syllable in the source
	// with a vowel after it: SU, KU, RU, TO, DO ... before another
	// consonant or at the end, after the first syllable, are read as the
	// bare consonant (STRYKER, SUTORAIKA: SUTRAIKA).
	for i, s := range syl {
		if i > 0 && len(s) >= 2 && epenthetic(s) && (i == len(syl)-1 || !strings.ContainsRune("AIUEO", rune(syl[i+1][0]))) {
			s = s[:len(s)-1]
		}
		b.WriteString(s)
	}
	return j
}

// epenthetic reports whether a kana syllable is one Japanese uses for a
// bare consonant: a consonant with U, or T or D with O.
func epenthetic(s string) bool {
	v := s[len(s)-1]
	c := s[:len(s)-1]
	return (v == 'U' && !strings.ContainsAny(c, "AEIOUY")) || (v == 'O' && (c == "T" || c == "D"))
}

// hebrew maps Hebrew letters to their usual consonant (or, for the
// letters that also write vowels, the vowel they most often write in
// foreign names).
var hebrew = map[rune]string{
	'א': "A", 'ב': "B", 'ג': "G", 'ד': "D", 'ה': "H", 'ו': "O", 'ז': "Z", 'ח': "KH", 'ט': "T", 'י': "I",
	'כ': "K", 'ך': "KH", 'ל': "L", 'מ': "M", 'ם': "M", 'נ': "N", 'ן': "N", 'ס': "S", 'ע': "E", 'פ': "P", 'ף': "F",
	'צ': "TS", 'ץ': "TS", 'ק': "K", 'ר': "R", 'ש': "SH", 'ת': "T",
}

// wordStart reports whether rs[i] begins a word: nothing but a space or
// punctuation before it (a geresh belongs to the letter it follows).
func wordStart(rs []rune, i int) bool {
	return i == 0 || (!unicode.IsLetter(rs[i-1]) && rs[i-1] != '\'' && rs[i-1] != '׳')
}

// wordEnd reports whether rs[i] ends a word: no letter after it.
func wordEnd(rs []rune, i int) bool { return i+1 == len(rs) || !unicode.IsLetter(rs[i+1]) }

// hebrewGeresh are the letters a geresh turns into a foreign sound.
var hebrewGeresh = map[rune]string{'ג': "J", 'צ': "CH", 'ץ': "CH", 'ז': "ZH", 'ת': "TH", 'ד': "DH", 'ח': "KH"}

// arabic maps Arabic letters (with the Persian and Urdu additions) to
// their usual romanisation; alif, waw and ya write long vowels.
var arabic = map[rune]string{
	'ا': "A", 'أ': "A", 'إ': "I", 'آ': "A", 'ء': "", 'ؤ': "U", 'ئ': "I", 'ب': "B", 'ت': "T", 'ث': "TH", 'ج': "J",
	'ح': "H", 'خ': "KH", 'د': "D", 'ذ': "DH", 'ر': "R", 'ز': "Z", 'س': "S", 'ش': "SH", 'ص': "S", 'ض': "D",
	'ط': "T", 'ظ': "Z", 'ع': "", 'غ': "GH", 'ف': "F", 'ق': "Q", 'ك': "K", 'ل': "L", 'م': "M", 'ن': "N",
	'ه': "H", 'ة': "A", 'و': "U", 'ي': "I", 'ى': "A", 'پ': "P", 'چ': "CH", 'ژ': "ZH", 'گ': "G", 'ک': "K",
	'ی': "I", 'ڤ': "V", 'ٹ': "T", 'ڈ': "D", 'ڑ': "R", 'ں': "N", 'ھ': "H", 'ے': "E",
}

// respellPinyin respells a pinyin syllable's initial where other
// romanisations write its sound otherwise, for comparing with Latin names:
// X is S-like, Q CH-like, C is TS, ZH is J-like, and J (基 ji, 吉 ji, 加
// jia) is how Chinese writes a foreign G or K.
func respellPinyin(p string) string {
	for _, r := range [][2]string{{"ZH", "J"}, {"CH", "CH"}, {"C", "TS"}, {"X", "S"}, {"Q", "CH"}, {"J", "G"}} {
		if strings.HasPrefix(p, r[0]) {
			return r[1] + p[len(r[0]):]
		}
	}
	return p
}

// hanConsonant are the characters the Xinhua convention for foreign names
// uses for a consonant without a vowel, with that consonant.
var hanConsonant = map[rune]string{'斯': "S", '克': "K", '尔': "R", '爾': "R", '德': "D", '特': "T", '夫': "F", '姆': "M",
	'格': "G", '普': "P", '布': "B", '茨': "TS", '兹': "Z", '茲': "Z", '赫': "H", '弗': "F", '徳': "D"}

// hanVowelNext reports whether a character's reading begins with a vowel
// (阿 A, 埃 AI, 伊 YI, 奥 AO, 乌 WU ...), so a bare consonant before it
// is not bare.
func hanVowelNext(r rune) bool {
	for _, p := range pinyin.SinglePinyin(r, pinyinArgs) {
		return p != "" && strings.ContainsRune("aeiouyw", rune(p[0]))
	}
	return false
}

// pinyinArgs reads each character in its most common reading, without
// tones, and drops nothing.
var pinyinArgs = pinyin.Args{Style: pinyin.Normal, Fallback: func(r rune, _ pinyin.Args) []string { return []string{string(r)} }}

// Romanize returns a Latin reading of the Hangul, kana, Chinese, Hebrew
// and Arabic letters in s (other characters unchanged), upper case; s
// unchanged when it holds none of them.
func Romanize(s string) string { return romanize(s, false) }

// romanize is Romanize; with vav set, a vav inside a Hebrew word is read
// as the consonant V (דוד DVD, David) instead of the vowel O: Forms keeps
// both readings.
func romanize(s string, vav bool) string {
	if isASCII(s) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	changed := false
	for i := 0; i < len(rs); {
		r := rs[i]
		prev := rune(0)
		if i > 0 {
			prev = rs[i-1]
		}
		if romanizeHangul(r, prev, &b) {
			changed = true
			i++
			continue
		}
		if unicode.In(r, unicode.Katakana, unicode.Hiragana) {
			if j := romanizeKana(rs, i, &b); j > i {
				changed = true
				i = j
				continue
			}
		}
		if unicode.Is(unicode.Han, r) {
			// Characters that transliterate a bare consonant (斯 for the
			// S of -ski, 尔 for an R) are read as that consonant after
			// the first character, unless a vowel follows.
			if c, ok := hanConsonant[r]; ok && i > 0 && (i+1 == len(rs) || !hanVowelNext(rs[i+1])) {
				b.WriteString(c)
				changed = true
				i++
				continue
			}
			for _, p := range pinyin.SinglePinyin(r, pinyinArgs) {
				b.WriteString(respellPinyin(strings.ToUpper(p)))
				break
			}
			changed = true
			i++
			continue
		}
		// Vav and yod begin a word as consonants (V, Y), and a doubled
		// vav is V (W in foreign names); elsewhere they mostly write O/U
		// and I.
		if r == 'ו' && (vav || wordStart(rs, i) || (i+1 < len(rs) && rs[i+1] == 'ו')) {
			b.WriteString("V")
			changed = true
			i++
			if i < len(rs) && rs[i] == 'ו' {
				i++
			}
			continue
		}
		// The Arabic article al- is a particle, written apart so the name
		// is also compared without it.
		if r == 'ا' && i+1 < len(rs) && rs[i+1] == 'ل' && (i == 0 || !unicode.IsLetter(rs[i-1])) && i+2 < len(rs) {
			b.WriteString("AL ")
			changed = true
			i += 2
			continue
		}
		if t, ok := hebrew[r]; ok {
			// Bet, kaf and pe are B, K and P at the start of a word and
			// mostly V, KH and F after a vowel inside it; a final he is
			// the vowel A, heard or not.
			initial := wordStart(rs, i)
			final := wordEnd(rs, i)
			geresh := i+1 < len(rs) && (rs[i+1] == '\'' || rs[i+1] == '׳')
			switch {
			case geresh && hebrewGeresh[r] != "":
				// A geresh marks a sound Hebrew has no letter for: ג׳ is
				// J, צ׳ CH, ז׳ ZH, ת׳ TH.
				t = hebrewGeresh[r]
			case r == 'ב' && !initial:
				t = "V"
			case r == 'פ' && !initial:
				t = "F"
			case r == 'ה' && final && !initial:
				t = "A"
			}
			b.WriteString(t)
			changed = true
		} else if r == 'ت' && i+1 < len(rs) && rs[i+1] == 'ش' {
			b.WriteString("CH") // تش writes the CH (and Č, Ć) Arabic has no letter for
			changed = true
			i++
		} else if t, ok := arabic[r]; ok {
			// A final he after a letter writes a final vowel, as in the
			// French -ier, -et (أوليفييه for Olivier).
			if r == 'ه' && !wordStart(rs, i) && wordEnd(rs, i) {
				t = "E"
			}
			b.WriteString(t)
			changed = true
		} else if r == '・' || r == '·' {
			b.WriteByte(' ')
		} else if !unicode.Is(unicode.Mn, r) { // Hebrew and Arabic vowel points are left out
			b.WriteRune(r)
		}
		i++
	}
	if !changed {
		return s
	}
	return b.String()
}

// skeletonDigraphs are letter groups that write one consonant, rewritten
// before letters are classed.
var skeletonDigraphs = strings.NewReplacer("SCH", "S", "SH", "S", "CH", "K", "KH", "K", "PH", "F", "TH", "T", "DH", "T",
	"GH", "K", "CK", "K", "TS", "S", "TZ", "S", "CZ", "S", "SZ", "S", "QU", "K")

// skeletonClass classes Latin consonants by how other scripts write them
// (Arabic has no P or V, Hebrew writes B and V alike ...); vowels, H, W
// and Y, which scripts write or leave out as they please, are 0.
var skeletonClass = [26]byte{
	'B' - 'A': 'B', 'P' - 'A': 'B', 'F' - 'A': 'B', 'V' - 'A': 'B',
	'C' - 'A': 'K', 'K' - 'A': 'K', 'Q' - 'A': 'K', 'G' - 'A': 'K', 'X' - 'A': 'K',
	'D' - 'A': 'T', 'T' - 'A': 'T',
	'S' - 'A': 'S', 'Z' - 'A': 'S',
	'J' - 'A': 'J', 'L' - 'A': 'L', 'R' - 'A': 'R', 'M' - 'A': 'M', 'N' - 'A': 'N',
}

// Skeleton returns the consonant skeleton of a Latin name (upper case,
// as Compact returns it): consonants in classes, repeats merged, vowels
// left out. SANDLER and the Hebrew סנדלר (SNDLR) share the skeleton
// STLR... as do MOHAMMED and MUHAMMAD (MMT).
func Skeleton(s string) string {
	s = skeletonDigraphs.Replace(s)
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 'A' || c > 'Z' {
			continue
		}
		k := skeletonClass[c-'A']
		if k != 0 && (len(b) == 0 || b[len(b)-1] != k) {
			b = append(b, k)
		}
	}
	return string(b)
}
