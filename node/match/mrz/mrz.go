// Package mrz parses the machine-readable zones of ICAO Doc 9303 travel
// documents — TD1 (identity cards, 3 × 30), TD2 (2 × 36) and TD3
// (passports, 2 × 44) — verifying every check digit, including TD1
// document numbers longer than nine characters, which continue in the
// optional data (Part 5, 4.2.2 note j).
//
// A bad check digit is an error naming the field. With Lenient, a field
// whose check digit fails is retried with the characters OCR confuses
// (O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/0), and a unique correction that
// satisfies the check digit is accepted and reported.
package mrz

import (
	"fmt"
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
)

// Format is the document format.
type Format string

// The formats of ICAO 9303.
const (
	TD1 Format = "TD1"
	TD2 Format = "TD2"
	TD3 Format = "TD3"
)

// MRZ is a parsed machine-readable zone. Dates are as printed, YYMMDD;
// Birth and Expiry give them as calendar dates.
type MRZ struct {
	Format         Format   `json:"format"`
	DocumentCode   string   `json:"document_code"`
	IssuingState   string   `json:"issuing_state"`
	Surname        string   `json:"surname"`
	GivenNames     string   `json:"given_names"`
	DocumentNumber string   `json:"document_number"`
	Nationality    string   `json:"nationality"`
	DateOfBirth    string   `json:"date_of_birth"`
	Sex            string   `json:"sex"`
	DateOfExpiry   string   `json:"date_of_expiry"`
	OptionalData   string   `json:"optional_data,omitempty"`
	OptionalData2  string   `json:"optional_data_2,omitempty"` // TD1 line 2
	Corrections    []string `json:"corrections,omitempty"`     // fields Lenient corrected
}

// Options controls parsing.
type Options struct {
	// Lenient accepts a field whose check digit fails if exactly one
	// substitution of OCR-confusable characters makes it pass.
	Lenient bool
	// Now decides the century of two-digit years; zero means time.Now.
	Now time.Time
}

// Parse reads an MRZ from text: its lines, separated by newlines, with
// surrounding spaces ignored. Errors: Malformed, naming the line or field.
func Parse(text string, o Options) (*MRZ, error) {
	const op = "mrz.Parse"
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	for i, l := range lines {
		for _, r := range l {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '<') {
				return nil, fedmatch.E(op, fedmatch.Malformed, "line %d: character %q is not A-Z, 0-9 or <", i+1, r)
			}
		}
	}
	p := &parser{o: o}
	b := make([][]byte, len(lines))
	for i, l := range lines {
		b[i] = []byte(l)
	}
	var err error
	switch {
	case len(lines) == 3 && allLen(lines, 30):
		err = p.td1(b)
	case len(lines) == 2 && allLen(lines, 36):
		err = p.td2(b)
	case len(lines) == 2 && allLen(lines, 44):
		err = p.td3(b)
	default:
		lens := make([]string, len(lines))
		for i, l := range lines {
			lens[i] = fmt.Sprint(len(l))
		}
		return nil, fedmatch.E(op, fedmatch.Malformed, "%d lines of %s characters: not TD1 (3×30), TD2 (2×36) or TD3 (2×44)",
			len(lines), strings.Join(lens, ", "))
	}
	if err == nil && p.m.DocumentNumber == "" {
		err = fmt.Errorf("document_number is empty")
	}
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	return &p.m, nil
}

func allLen(ls []string, n int) bool {
	for _, l := range ls {
		if len(l) != n {
			return false
		}
	}
	return true
}

type parser struct {
	o Options
	m MRZ
}

// field strips fillers from a text field.
func field(b []byte) string { return strings.TrimRight(string(b), "<") }

// names splits the name field: primary identifier, "<<", secondary.
func (p *parser) names(b []byte) {
	sur, given, _ := strings.Cut(strings.TrimRight(string(b), "<"), "<<")
	p.m.Surname = strings.Join(strings.FieldsFunc(sur, isFiller), " ")
	p.m.GivenNames = strings.Join(strings.FieldsFunc(given, isFiller), " ")
}

func isFiller(r rune) bool { return r == '<' }

// header reads document code and issuing state from a first line.
func (p *parser) header(l []byte) {
	p.m.DocumentCode = field(l[0:2])
	p.m.IssuingState = field(l[2:5])
}

// bio reads the shared run of birth, sex and expiry (YYMMDDc S YYMMDDc),
// checking both check digits; b must be 15 characters.
func (p *parser) bio(b []byte) error {
	if err := p.check("date_of_birth", b[0:6], &b[6], true); err != nil {
		return err
	}
	p.m.DateOfBirth = string(b[0:6])
	switch sx := b[7]; sx {
	case 'M', 'F':
		p.m.Sex = string(sx)
	case '<', 'X':
		p.m.Sex = "X"
	default:
		return fmt.Errorf("sex %q is not M, F, X or <", sx)
	}
	if err := p.check("date_of_expiry", b[8:14], &b[14], true); err != nil {
		return err
	}
	p.m.DateOfExpiry = string(b[8:14])
	for _, d := range []struct{ name, v string }{{"date_of_birth", p.m.DateOfBirth}, {"date_of_expiry", p.m.DateOfExpiry}} {
		if _, err := time.Parse("060102", d.v); err != nil {
			return fmt.Errorf("%s %q is not a date YYMMDD", d.name, d.v)
		}
	}
	return nil
}

func cat(parts ...[]byte) string {
	var sb strings.Builder
	for _, p := range parts {
		sb.Write(p)
	}
	return sb.String()
}

func (p *parser) td3(l [][]byte) error {
	p.m.Format = TD3
	p.header(l[0])
	p.names(l[0][5:44])
	a := l[1]
	if err := p.check("document_number", a[0:9], &a[9], false); err != nil {
		return err
	}
	p.m.DocumentNumber = field(a[0:9])
	p.m.Nationality = field(a[10:13])
	if err := p.bio(a[13:28]); err != nil {
		return err
	}
	// The personal number's check digit may be < when it is empty.
	if field(a[28:42]) != "" || a[42] != '<' {
		if err := p.check("optional_data", a[28:42], &a[42], false); err != nil {
			return err
		}
	}
	p.m.OptionalData = field(a[28:42])
	return p.composite(a[43], cat(a[0:10], a[13:20], a[21:43]))
}

func (p *parser) td2(l [][]byte) error {
	p.m.Format = TD2
	p.header(l[0])
	p.names(l[0][5:36])
	a := l[1]
	if err := p.docNumber(a[0:9], &a[9], a[28:35]); err != nil {
		return err
	}
	p.m.Nationality = field(a[10:13])
	if err := p.bio(a[13:28]); err != nil {
		return err
	}
	return p.composite(a[35], cat(a[0:10], a[13:20], a[21:35]))
}

func (p *parser) td1(l [][]byte) error {
	p.m.Format = TD1
	p.header(l[0])
	a, b := l[0], l[1]
	if err := p.docNumber(a[5:14], &a[14], a[15:30]); err != nil {
		return err
	}
	if err := p.bio(b[0:15]); err != nil {
		return err
	}
	p.m.Nationality = field(b[15:18])
	p.m.OptionalData2 = field(b[18:29])
	p.names(l[2])
	return p.composite(b[29], cat(a[5:30], b[0:7], b[8:15], b[18:29]))
}

// docNumber reads a document number and its check digit. When the check
// digit position holds '<', the number is longer than nine characters and
// continues in the optional data up to the next filler, whose last
// character is the check digit over the whole number. ICAO computes it
// over the number alone; some issuers (Belgium's BEL-BO-03003 specimen)
// over the number with the filler as printed: either form must match.
func (p *parser) docNumber(num []byte, cd *byte, optional []byte) error {
	if *cd == '<' && field(optional) != "" {
		end := bytesIndex(optional, '<')
		if end < 2 {
			return fmt.Errorf("document_number continues into the optional data but holds no check digit")
		}
		ext, c := optional[:end-1], optional[end-1]
		full := field(num) + string(ext)
		if Digit(full) != c && Digit(string(num)+"<"+string(ext)) != c {
			return fmt.Errorf("check digit of document_number %q is %q, computed %q", full, c, Digit(full))
		}
		p.m.DocumentNumber = full
		p.m.OptionalData = field(optional[end:])
		return nil
	}
	if err := p.check("document_number", num, cd, false); err != nil {
		return err
	}
	p.m.DocumentNumber = field(num)
	p.m.OptionalData = field(optional)
	return nil
}

func bytesIndex(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b)
}

// composite checks the final check digit over the fields ICAO lists.
func (p *parser) composite(cd byte, s string) error {
	if want := Digit(s); cd != want {
		return fmt.Errorf("composite check digit is %q, computed %q: a field was misread", cd, want)
	}
	return nil
}

// check verifies the check digit *cd of v, a slice of an MRZ line. With
// Lenient, a unique correction of OCR-confusable characters in v (digits
// only, for dates), or of a check digit read as a letter, is written into
// the line, so later checks (the composite) see the corrected text.
func (p *parser) check(name string, v []byte, cd *byte, numeric bool) error {
	if Digit(string(v)) == *cd {
		return nil
	}
	if p.o.Lenient {
		if d, ok := digitFor(*cd); ok && Digit(string(v)) == d {
			*cd = d
			p.m.Corrections = append(p.m.Corrections, name+" check digit")
			return nil
		}
		if correct(v, *cd, numeric) {
			p.m.Corrections = append(p.m.Corrections, name)
			return nil
		}
	}
	return fmt.Errorf("check digit of %s %q is %q, computed %q", name, field(v), *cd, Digit(string(v)))
}

// digitFor is the digit a letter in a check-digit position was misread from.
func digitFor(c byte) (byte, bool) {
	for _, alt := range []byte(confusable[c]) {
		if alt >= '0' && alt <= '9' && (c < '0' || c > '9') {
			return alt, true
		}
	}
	return 0, false
}

// Digit computes an ICAO 9303 check digit: weights 7, 3, 1 repeating;
// digits count as themselves, A–Z as 10–35, < as 0.
func Digit(s string) byte {
	w := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += value(s[i]) * w[i%3]
	}
	return byte('0' + sum%10)
}

func value(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 0
}

// confusable maps a character to those OCR mistakes it for.
var confusable = map[byte]string{
	'O': "0Q", '0': "OQD", 'Q': "0O", 'D': "0",
	'I': "1", '1': "I", 'B': "8", '8': "B", 'S': "5", '5': "S",
	'Z': "2", '2': "Z", 'G': "6", '6': "G",
}

// correct looks for the one substitution of a confusable character in v
// that satisfies check digit cd and applies it; false when there is none
// or more than one (an ambiguous correction is no correction).
func correct(v []byte, cd byte, numeric bool) bool {
	at, to, n := -1, byte(0), 0
	for i, orig := range v {
		for _, alt := range []byte(confusable[orig]) {
			if numeric && (alt < '0' || alt > '9') {
				continue
			}
			v[i] = alt
			if Digit(string(v)) == cd {
				at, to, n = i, alt, n+1
			}
		}
		v[i] = orig
	}
	if n != 1 {
		return false
	}
	v[at] = to
	return true
}

// Birth returns the date of birth as a calendar date: a two-digit year
// in the future is taken as the previous century.
func (m *MRZ) Birth(now time.Time) fedmatch.Date {
	return century(m.DateOfBirth, now, 0)
}

// Expiry returns the date of expiry: two-digit years up to 50 years ahead
// are this century's.
func (m *MRZ) Expiry(now time.Time) fedmatch.Date {
	return century(m.DateOfExpiry, now, 50)
}

func century(yymmdd string, now time.Time, ahead int) fedmatch.Date {
	if len(yymmdd) != 6 {
		return ""
	}
	if now.IsZero() {
		now = time.Now()
	}
	yy := int(yymmdd[0]-'0')*10 + int(yymmdd[1]-'0')
	y := now.Year()/100*100 + yy
	if y > now.Year()+ahead {
		y -= 100
	}
	return fedmatch.Date(fmt.Sprintf("%04d-%s-%s", y, yymmdd[2:4], yymmdd[4:6]))
}

// Probe returns the probe an officer's system sends for this document:
// the document and the holder's names, date of birth and sex.
func (m *MRZ) Probe(now time.Time) fedmatch.Probe {
	state := strings.TrimRight(m.IssuingState, "<")
	return fedmatch.Probe{
		Surname: m.Surname, GivenNames: m.GivenNames, DateOfBirth: m.Birth(now), Sex: m.Sex, Nationality: m.Nationality,
		Documents: []fedmatch.Document{{Type: docType(m.DocumentCode), Number: m.DocumentNumber, IssuingState: state, Expiry: m.Expiry(now)}},
	}
}

func docType(code string) string {
	switch {
	case strings.HasPrefix(code, "P"):
		return "passport"
	case strings.HasPrefix(code, "V"):
		return "visa"
	}
	return "id-card"
}
