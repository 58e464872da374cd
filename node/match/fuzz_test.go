package match_test

import (
	"bytes"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match"
)

// FuzzMatch: a probe's names come from another agency; preparing and
// scoring it, in any script or none, must never panic, and a score is a
// probability. The place string is also the probe's address.
func FuzzMatch(f *testing.F) {
	f.Add("Müller", "Anna Maria", "1979-05", "München", "C01X00T47")
	f.Add("ピノック", "トゥホルスキー", "", "", "")
	f.Add("الطيراوي", "محمد", "1980", "", "")
	f.Add("van der Berg", "J", "1984-02-29", "", "x")
	f.Add("\xff\xfe", "ッ", "1984-13", "ー", "")
	f.Add("김민수", "克魯森", "", "סנדלר", "A1")
	f.Add("Okafor", "Chidi", "1984", "12a Rue d'Écosse 75001 ٣ 4 Ⅻ", "")
	recs := []*fedmatch.Record{
		{Surname: "Müller", GivenNames: "Anna Maria", DateOfBirth: "1979-05-17", Sex: "F", PlaceOfBirth: "München",
			Address: "12a Rue d'Écosse, 75001 Paris", Aliases: []string{"al-Tirawi"}, Documents: []fedmatch.Document{{Number: "C01X00T47", IssuingState: "DEU", Status: "stolen"}}},
		{Surname: "김", GivenNames: "ピノック", DateOfBirth: "1980"},
		{Surname: "סנדלר"},
	}
	m := match.New(match.Config{}, nil)
	fields := make([]any, len(recs))
	for i, r := range recs {
		fields[i] = m.Index(r).Fields
	}
	f.Fuzz(func(t *testing.T, surname, given, dob, place, doc string) {
		p := fedmatch.Probe{Surname: surname, GivenNames: given, DateOfBirth: fedmatch.Date(dob), PlaceOfBirth: place, Address: place}
		if doc != "" {
			p.Documents = []fedmatch.Document{{Number: doc, IssuingState: "DEU"}}
		}
		if p.Validate() != nil {
			return
		}
		q := m.Prepare(&p)
		_ = q.Keys()
		for i, r := range recs {
			if got, ok := q.Score(r, fields[i]); ok && !(got.Score >= 0 && got.Score <= 1) {
				t.Fatalf("score %v is not a probability", got.Score)
			}
		}
	})
}

// FuzzParseModel: a model file is checked before a node scores with it;
// any bytes are refused with an error or give a model that survives a
// round trip.
func FuzzParseModel(f *testing.F) {
	f.Add(match.DefaultModel().Marshal())
	f.Add([]byte(`{"prior": 0.5, "comparisons": []}`))
	f.Add([]byte(`{"prior": 1e-300, "comparisons": [{"name": "surname", "levels": [], "m": [], "u": []}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := match.ParseModel(b)
		if err != nil {
			return
		}
		again, err := match.ParseModel(m.Marshal())
		if err != nil || !bytes.Equal(again.Marshal(), m.Marshal()) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParseTransliteration: a transliteration model is checked before a
// node scores with it; any bytes are refused with an error or give a
// model that scores names without panicking, within [0, 1], and survives
// a round trip.
func FuzzParseTransliteration(f *testing.F) {
	f.Add([]byte(`{"max_latin": 4, "spell": {"ш": {"SH": 0.2, "S": 0.05}, "а": {"A": 0.3}}, "letters": {"^S": 0.1, "H$": 0.2}, "calibration": {"cyrillic": [1, 2, 3, 4]}}`))
	f.Add([]byte(`{"max_latin": 1, "spell": {}, "calibration": {"hangul": [0, 0, 0, 0], "kana": [-1e300, 0, 1, 1e300]}}`))
	f.Add([]byte(`{"max_latin": 6, "spell": {"ᄀ": {"KKKKKK": 1}}, "letters": {"ZZ": 1}, "calibration": {"han": [5, 6, 7, 8]}}`))
	f.Add([]byte(`{"max_latin": 4, "spell": {"ш": {"SH": 0.2}, "а": {"A": 0.3, "YA": 0.01}}, "context": {"start": {"ш": {"SH": 3}}, "vowel": {"а": {"YA": 1e6, "": 0.5}}, "consonant": {"а": {"A": 7}}}, "calibration": {"cyrillic": [1, 2, 3, 4]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := match.ParseTransliteration(b)
		if err != nil {
			return
		}
		for _, p := range [][2]string{{"Shapiro", "Шапиро"}, {"Kim", "김"}, {"Wang", "王"}, {"Pinokku", "ピノック"}, {"", "ш"}} {
			if s := tr.NameSimilarity(p[0], p[1]); !(s >= 0 && s <= 1) {
				t.Fatalf("NameSimilarity(%s, %s) = %v, not in [0, 1]", p[0], p[1], s)
			}
		}
		out, err := tr.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := match.ParseTransliteration(out)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if out2, _ := again.Marshal(); !bytes.Equal(out, out2) {
			t.Fatal("the model changed in a round trip")
		}
	})
}
