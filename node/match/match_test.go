package match_test

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match"
)

// TestJaroWinkler_Published checks both comparators against the values
// Winkler (1994) published, from ../shared/data/strings.
func TestJaroWinkler_Published(t *testing.T) {
	f, err := os.Open("../../../shared/data/strings/winkler1994_jaro_jw.tsv")
	if err != nil {
		t.Fatalf("shared data beside the repository: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		jaro, _ := strconv.ParseFloat(c[2], 64)
		jw, _ := strconv.ParseFloat(c[3], 64)
		if got := match.Jaro(c[0], c[1]); math.Abs(got-jaro) > 0.0015 {
			t.Errorf("Jaro(%s, %s) = %.4f, published %.3f", c[0], c[1], got, jaro)
		}
		if got := match.JaroWinkler(c[0], c[1]); math.Abs(got-jw) > 0.0015 {
			t.Errorf("JaroWinkler(%s, %s) = %.4f, published %.3f", c[0], c[1], got, jw)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("read %d pairs", n)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  José-María  O'Neil ": "JOSE MARIA O NEIL",
		"Müller":                "MULLER",
		"Straße":                "STRASSE",
		"Øre":                   "ORE",
		"ŁUKASZ":                "LUKASZ",
		"":                      "",
		"123":                   "",
	} {
		if got := match.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCompare checks each comparison level (ComparisonSpecs) on a pair
// that should reach it.
func TestCompare(t *testing.T) {
	rec := &fedmatch.Record{Surname: "Müller", GivenNames: "Anna Maria", DateOfBirth: "1984-03-04", Sex: "F",
		Nationalities: []string{"DEU", "AUT"}, PlaceOfBirth: "München", Aliases: []string{"Anna Schmidt"},
		Address:   "12a Rue d'Écosse, 75001 Paris",
		Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "DEU"}}}
	specs := match.ComparisonSpecs()
	tests := []struct {
		name  string
		probe fedmatch.Probe
		cmp   int
		level string // "" for Missing
	}{
		{"surname exact (ICAO form)", fedmatch.Probe{Surname: "MUELLER"}, match.CmpSurname, "exact"},
		{"surname exact (alias)", fedmatch.Probe{Surname: "Schmidt"}, match.CmpSurname, "exact"},
		{"surname close", fedmatch.Probe{Surname: "Mueler"}, match.CmpSurname, "close"},
		{"surname similar", fedmatch.Probe{Surname: "Möller"}, match.CmpSurname, "similar"},
		{"surname different", fedmatch.Probe{Surname: "Okafor"}, match.CmpSurname, "different"},
		{"surname missing", fedmatch.Probe{GivenNames: "Anna"}, match.CmpSurname, ""},
		{"given exact, reordered", fedmatch.Probe{GivenNames: "maria ANNA"}, match.CmpGiven, "exact"},
		{"given close: one of two", fedmatch.Probe{GivenNames: "Anna"}, match.CmpGiven, "close"},
		{"given similar: initial", fedmatch.Probe{GivenNames: "A"}, match.CmpGiven, "similar"},
		{"given different", fedmatch.Probe{GivenNames: "Peter"}, match.CmpGiven, "different"},
		{"dob exact", fedmatch.Probe{DateOfBirth: "1984-03-04"}, match.CmpDOB, "exact"},
		{"dob partial", fedmatch.Probe{DateOfBirth: "1984-03"}, match.CmpDOB, "partial"},
		{"dob swapped", fedmatch.Probe{DateOfBirth: "1984-04-03"}, match.CmpDOB, "day_month_swapped"},
		{"dob year off by one", fedmatch.Probe{DateOfBirth: "1985-03-04"}, match.CmpDOB, "year_off_by_one"},
		{"dob one part differs", fedmatch.Probe{DateOfBirth: "1984-03-14"}, match.CmpDOB, "one_part_differs"},
		{"dob different", fedmatch.Probe{DateOfBirth: "1990-07-21"}, match.CmpDOB, "different"},
		{"dob partial, different", fedmatch.Probe{DateOfBirth: "1990"}, match.CmpDOB, "different"},
		{"dob missing", fedmatch.Probe{Surname: "X"}, match.CmpDOB, ""},
		{"sex agree", fedmatch.Probe{Sex: "f"}, match.CmpSex, "agree"},
		{"sex differ", fedmatch.Probe{Sex: "M"}, match.CmpSex, "differ"},
		{"sex unspecified", fedmatch.Probe{Sex: "X"}, match.CmpSex, ""},
		{"nationality agree (second)", fedmatch.Probe{Nationality: "aut"}, match.CmpNationality, "agree"},
		{"nationality differ", fedmatch.Probe{Nationality: "FRA"}, match.CmpNationality, "differ"},
		{"place similar", fedmatch.Probe{PlaceOfBirth: "MUNCHEN"}, match.CmpPlaceOfBirth, "similar"},
		{"place different", fedmatch.Probe{PlaceOfBirth: "Lagos"}, match.CmpPlaceOfBirth, "different"},
		{"document same", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "c01x-00t47", IssuingState: "deu"}}}, match.CmpDocument, "same_number"},
		{"document transposed", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "C01X00T74", IssuingState: "DEU"}}}, match.CmpDocument, "transposed"},
		{"document one character", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "C01X00T48", IssuingState: "DEU"}}}, match.CmpDocument, "one_character"},
		{"document different", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "X99", IssuingState: "DEU"}}}, match.CmpDocument, "different"},
		{"address same, reordered", fedmatch.Probe{Address: "PARIS 75001, 12 A rue d ecosse"}, match.CmpAddress, "same"},
		{"address close: a typo", fedmatch.Probe{Address: "12a Rue d'Ecose, 75001 Paris"}, match.CmpAddress, "close"},
		{"address close: a word missing", fedmatch.Probe{Address: "12a Rue d'Écosse, Paris 75001 France"}, match.CmpAddress, "close"},
		{"address different: next door", fedmatch.Probe{Address: "14a Rue d'Écosse, 75001 Paris"}, match.CmpAddress, "different"},
		{"address different", fedmatch.Probe{Address: "3 Harbour Road, Manly"}, match.CmpAddress, "different"},
		{"address missing", fedmatch.Probe{Address: " ,- "}, match.CmpAddress, ""},
		{"document other state", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "AUT"}}}, match.CmpDocument, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := match.Compare(&tc.probe, rec)[tc.cmp]
			got := ""
			if l != match.Missing {
				got = specs[tc.cmp].Levels[l]
			}
			if got != tc.level {
				t.Fatalf("%s level %q, want %q", specs[tc.cmp].Name, got, tc.level)
			}
		})
	}
}

// TestCompare_Nicknames: a short form or another language's form of a
// given name is a close match, not a different name.
func TestCompare_Nicknames(t *testing.T) {
	for _, tc := range [][2]string{{"Bill", "William"}, {"Giuseppe", "Joseph"}, {"Muhammad", "Mehmet Ali"}} {
		v := match.Compare(&fedmatch.Probe{GivenNames: tc[0]}, &fedmatch.Record{GivenNames: tc[1]})
		if v[match.CmpGiven] != 1 {
			t.Errorf("%s against %s: given-names level %d, want 1 (close)", tc[0], tc[1], v[match.CmpGiven])
		}
	}
	if v := match.Compare(&fedmatch.Probe{GivenNames: "Bill"}, &fedmatch.Record{GivenNames: "Robert"}); v[match.CmpGiven] != 3 {
		t.Errorf("Bill against Robert: level %d, want 3 (different)", v[match.CmpGiven])
	}
}

func TestMatcher_Score(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	rec := &fedmatch.Record{ID: "r1", Surname: "Müller", GivenNames: "Anna Maria", DateOfBirth: "1979-05-17", Sex: "F",
		Aliases:   []string{"Anna Schmidt"},
		Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "DEU"}}}
	tests := []struct {
		name  string
		probe fedmatch.Probe
		kind  string
		min   float64 // score at least
		ok    bool
	}{
		{"document", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "c01x-00t47", IssuingState: "deu"}}}, fedmatch.KindDocument, 0.999, true},
		{"document other state", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "AUT"}}}, "", 0, false},
		{"exact name", fedmatch.Probe{Surname: "MULLER", GivenNames: "anna maria", DateOfBirth: "1979-05-17"}, fedmatch.KindBiographic, 0.99, true},
		{"given names reordered", fedmatch.Probe{Surname: "Muller", GivenNames: "Maria Anna", DateOfBirth: "1979-05-17"}, fedmatch.KindBiographic, 0.99, true},
		{"typo and partial dob", fedmatch.Probe{Surname: "Muler", GivenNames: "Anna", DateOfBirth: "1979", Sex: "F"}, fedmatch.KindBiographic, 0.55, true},
		{"alias", fedmatch.Probe{Surname: "Schmidt", GivenNames: "Anna", DateOfBirth: "1979-05-17"}, fedmatch.KindBiographic, 0.95, true},
		{"other person", fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}, "", 0, false},
		{"names swapped", fedmatch.Probe{Surname: "Anna", GivenNames: "Muller", DateOfBirth: "1979-05-17"}, fedmatch.KindBiographic, 0.93, true},
		{"surname missing, document transposed", fedmatch.Probe{GivenNames: "Anna", DateOfBirth: "1979-05-17",
			Documents: []fedmatch.Document{{Number: "C01X00T74", IssuingState: "DEU"}}}, fedmatch.KindBiographic, 0.75, true},
		{"same name other dob", fedmatch.Probe{Surname: "Muller", GivenNames: "Peter", DateOfBirth: "1950-01-01"}, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := m.Score(&tc.probe, rec)
			if ok != tc.ok {
				t.Fatalf("ok = %v (score %.3f), want %v", ok, got.Score, tc.ok)
			}
			if ok && (got.Kind != tc.kind || got.Score < tc.min) {
				t.Fatalf("got %s %.3f, want %s >= %.3f", got.Kind, got.Score, tc.kind, tc.min)
			}
		})
	}
}

// TestMatcher_ScoreFewFields: a match on the surname alone is no match (a
// common surname is weak evidence against a one-in-many prior), while one
// on every field is near certain.
func TestMatcher_ScoreFewFields(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	rec := &fedmatch.Record{Surname: "Clarke", GivenNames: "Connor", DateOfBirth: "1945-09-07"}
	full, _ := m.Score(&fedmatch.Probe{Surname: "Clarke", GivenNames: "Connor", DateOfBirth: "1945-09-07"}, rec)
	alone, ok := m.Score(&fedmatch.Probe{Surname: "Clarke"}, rec)
	if full.Score < 0.999 || (ok && alone.Score >= 0.5) {
		t.Fatalf("full %.3f, surname alone %.3f (ok %v)", full.Score, alone.Score, ok)
	}
}

// TestMatcher_Keys checks that every way of matching has a shared key, so
// blocking loses none of the matches the tests above expect.
func TestMatcher_Keys(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	rec := &fedmatch.Record{Surname: "Müller", GivenNames: "Anna", DateOfBirth: "1979-05-17", Aliases: []string{"Anna Schmidt"},
		Address:   "12 Saint George's Road, Leeds",
		Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "DEU"}}}
	rk := map[string]bool{}
	for _, k := range m.RecordKeys(rec) {
		rk[k] = true
	}
	for _, p := range []fedmatch.Probe{
		{Documents: []fedmatch.Document{{Number: "c01x 00t47", IssuingState: "deu"}}},
		{Surname: "MUELLER-X", DateOfBirth: "1979-05-17"},                                                         // by date of birth
		{Surname: "Muler", DateOfBirth: "1979"},                                                                   // by prefix and year
		{Surname: "schmidt"},                                                                                      // by alias
		{Surname: "Muller", DateOfBirth: "1980-05-17"},                                                            // year off by one
		{Surname: "Muler", DateOfBirth: "1979-05"},                                                                // partial date: prefix and year
		{Surname: "Anna", GivenNames: "Müller"},                                                                   // swapped, no date: names key
		{Surname: "Xyz", Documents: []fedmatch.Document{{Number: "C01X00T74", IssuingState: "DEU"}}},              // transposed number
		{Surname: "Herbert", GivenNames: "Anna", DateOfBirth: "1911-11-01", Address: "flat 2, 12 St George's Rd"}, // by address alone
	} {
		shared := false
		for _, k := range m.ProbeKeys(&p) {
			shared = shared || rk[k]
		}
		if !shared {
			t.Errorf("probe %+v shares no key with the record (%v)", p, m.RecordKeys(rec))
		}
	}
}

// TestMatcher_AddressKeys: an address is keyed by its house numbers, each
// with the street's name and the given initial, never by a district alone.
func TestMatcher_AddressKeys(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	for _, tc := range []struct {
		name, address string
		want          []string
	}{
		{"number and street", "123, slessor crescent, glebe garden, wisemans ferry, 2517, nsw", []string{"ad:123|SLES|A"}},
		{"short words skipped", "12 St. George's Road", []string{"ad:12|GEOR|A"}},
		{"flat and house", "Flat 4, 12 High Street", []string{"ad:12|HIGH|A"}},
		{"two numbers", "4 Elm Close, 12 High Street", []string{"ad:12|HIGH|A", "ad:4|CLOS|A"}},
		{"number glued to a letter", "12a Rue d'Écosse", []string{"ad:12|ECOS|A"}},
		{"postcode and state", "2517 NSW", nil},
		{"no number", "Glebe Garden", nil},
		{"another script", "ул. Ленина, д. 5, кв. 12", nil},
		{"another script, number first", "5 Ленина", []string{"ad:5|ЛЕНИ|A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, k := range m.RecordKeys(&fedmatch.Record{Surname: "X", GivenNames: "Anna", Address: tc.address}) {
				if strings.HasPrefix(k, "ad:") {
					got = append(got, k)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("address keys %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatcher_KeysSwappedDate(t *testing.T) {
	m := match.New(match.DefaultConfig(), nil)
	rk := m.RecordKeys(&fedmatch.Record{Surname: "Okafor", DateOfBirth: "1984-05-07"})
	pk := m.ProbeKeys(&fedmatch.Probe{Surname: "Nwosu", DateOfBirth: "1984-07-05"})
	for _, k := range pk {
		if slices.Contains(rk, k) {
			return
		}
	}
	t.Fatalf("day/month swap shares no key: record %v, probe %v", rk, pk)
}

// BenchmarkMatcher_Score scores one probe against one record: Latin
// names, and names in another script against Latin ones, which the
// learned transliteration scores.
func BenchmarkMatcher_Score(b *testing.B) {
	m := match.New(match.DefaultConfig(), nil)
	for _, bc := range []struct {
		name string
		rec  *fedmatch.Record
		p    *fedmatch.Probe
	}{
		{"latin", &fedmatch.Record{Surname: "Müller", GivenNames: "Anna Maria", DateOfBirth: "1979-05-17"},
			&fedmatch.Probe{Surname: "Muler", GivenNames: "Anna", DateOfBirth: "1979-05-17"}},
		{"cross-script", &fedmatch.Record{Surname: "麦克唐纳", GivenNames: "迈克尔", DateOfBirth: "1979-05-17"},
			&fedmatch.Probe{Surname: "McDonnell", GivenNames: "Michael", DateOfBirth: "1979-05-17"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				m.Score(bc.p, bc.rec)
			}
		})
	}
}
