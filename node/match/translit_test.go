package match_test

import (
	"bytes"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match"
)

// TestTransliteration_Score: the embedded model finds a name likelier as
// its own spelling than as another name's, in every script it learnt.
func TestTransliteration_Score(t *testing.T) {
	tr := match.DefaultTransliteration()
	for _, tc := range []struct{ latin, same, other string }{
		{"Ivanov", "Иванов", "Петренко"},
		{"Sandler", "סנדלר", "כהן"},
		{"Tirawi", "الطيراوي", "محمد"},
		{"Tucholsky", "トゥホルスキー", "ピノック"},
		{"Kim Minsu", "김민수", "박지성"},
		{"Wang Xiaoming", "王小明", "李娜"},
	} {
		t.Run(tc.latin, func(t *testing.T) {
			same, other := tr.Score(tc.latin, tc.same), tr.Score(tc.latin, tc.other)
			if !(same > 0 && same > other) {
				t.Errorf("Score(%s, %s) = %.2f, Score(%s, %s) = %.2f: want the first above zero and the second", tc.latin, tc.same, same, tc.latin, tc.other, other)
			}
			if s := tr.NameSimilarity(tc.latin, tc.same); s < 0.78 {
				t.Errorf("NameSimilarity(%s, %s) = %.3f, want at least 0.78 (a 0.1 %% false-match rate)", tc.latin, tc.same, s)
			}
			if s := tr.NameSimilarity(tc.latin, tc.other); !(s >= 0 && s < 0.78) {
				t.Errorf("NameSimilarity(%s, %s) = %.3f, want in [0, 0.78)", tc.latin, tc.other, s)
			}
		})
	}
	if got := tr.Score("", "Иванов"); got != 0 {
		t.Errorf("Score of an empty name = %v, want 0", got)
	}
}

// TestParseTransliteration: a bad model is refused with its error kind;
// a good one survives a round trip unchanged.
func TestParseTransliteration(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		code     fedmatch.Code
	}{
		{"not json", `{"max_latin": 4,`, fedmatch.Malformed},
		{"max latin zero", `{"max_latin": 0}`, fedmatch.Invalid},
		{"lower-case spelling", `{"max_latin": 4, "spell": {"и": {"i": 0.1}}}`, fedmatch.Invalid},
		{"spelling too long", `{"max_latin": 2, "spell": {"щ": {"SHCH": 0.1}}}`, fedmatch.Invalid},
		{"probability zero", `{"max_latin": 4, "spell": {"и": {"I": 0}}}`, fedmatch.Invalid},
		{"probability above one", `{"max_latin": 4, "spell": {"и": {"I": 1.5}}}`, fedmatch.Invalid},
		{"empty unit", `{"max_latin": 4, "spell": {"": {"I": 0.5}}}`, fedmatch.Invalid},
		{"bad bigram", `{"max_latin": 4, "letters": {"A": 0.5}}`, fedmatch.Invalid},
		{"calibration falls", `{"max_latin": 4, "calibration": {"cyrillic": [4, 3, 2, 1]}}`, fedmatch.Invalid},
		{"calibration short", `{"max_latin": 4, "calibration": {"cyrillic": [1, 2]}}`, fedmatch.Invalid},
		{"calibration huge", `{"max_latin": 4, "calibration": {"kana": [-1e308, 0, 1, 1e308]}}`, fedmatch.Invalid},
		{"unit without spellings", `{"max_latin": 1, "spell": {"00": {}}, "calibration": {"kana": [0, 0.1, 1, 1]}}`, fedmatch.Invalid},
		{"unknown context", `{"max_latin": 4, "spell": {"и": {"I": 0.1}}, "context": {"after": {"и": {"I": 1}}}}`, fedmatch.Invalid},
		{"context of an unknown unit", `{"max_latin": 4, "spell": {"и": {"I": 0.1}}, "context": {"vowel": {"е": {"E": 1}}}}`, fedmatch.Invalid},
		{"context spelling too long", `{"max_latin": 2, "spell": {"и": {"I": 0.1}}, "context": {"vowel": {"и": {"YII": 1}}}}`, fedmatch.Invalid},
		{"context count zero", `{"max_latin": 4, "spell": {"и": {"I": 0.1}}, "context": {"vowel": {"и": {"I": 0}}}}`, fedmatch.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := match.ParseTransliteration([]byte(tc.in))
			if !fedmatch.IsCode(err, tc.code) {
				t.Fatalf("ParseTransliteration: %v, want code %v", err, tc.code)
			}
		})
	}
	t.Run("round trip", func(t *testing.T) {
		b, err := match.DefaultTransliteration().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := match.ParseTransliteration(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := again.Marshal()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("the model changed in a round trip: %v", err)
		}
	})
}

// TestTrainTransliteration: from a handful of pairs the model learns the
// letters' spellings (Ш as SH) and scores a new name made of them above a
// wrong one; without pairs in another script it refuses.
func TestTrainTransliteration(t *testing.T) {
	var pairs []match.TransPair
	for range 20 {
		pairs = append(pairs,
			match.TransPair{Latin: "Shapiro", Other: "Шапиро"},
			match.TransPair{Latin: "Marina", Other: "Марина"},
			match.TransPair{Latin: "Pasha", Other: "Паша"},
			match.TransPair{Latin: "Roman", Other: "Роман"},
			match.TransPair{Latin: "Irina", Other: "Ирина"},
		)
	}
	tr, err := match.TrainTransliteration(pairs, 1)
	if err != nil {
		t.Fatal(err)
	}
	if same, other := tr.Score("Mashina", "Машина"), tr.Score("Mashina", "Шапиро"); !(same > other) {
		t.Errorf("Score(Mashina, Машина) = %.2f not above Score(Mashina, Шапиро) = %.2f", same, other)
	}
	if _, err := match.TrainTransliteration([]match.TransPair{{Latin: "Smith", Other: ""}}, 1); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Errorf("training on nothing: %v, want Invalid", err)
	}
}

// TestTrainTransliteration_Context: a spelling is learnt in the context
// the unit before it leaves. In these pairs О is spelt O after a
// consonant and W after a vowel (as Russian writes Е as E and YE). A
// model without context prefers Sow to Swo too, having learnt OW as one
// spelling of О; in context it must prefer it by a nat more.
func TestTrainTransliteration_Context(t *testing.T) {
	var pairs []match.TransPair
	for range 20 {
		pairs = append(pairs,
			match.TransPair{Latin: "T", Other: "Т"},
			match.TransPair{Latin: "L", Other: "Л"},
			match.TransPair{Latin: "S", Other: "С"},
			match.TransPair{Latin: "O", Other: "О"},
			match.TransPair{Latin: "Tow", Other: "Тоо"},
			match.TransPair{Latin: "Low", Other: "Лоо"},
			match.TransPair{Latin: "Lot", Other: "Лот"},
			match.TransPair{Latin: "Towl", Other: "Тоол"},
		)
	}
	tr, err := match.TrainTransliteration(pairs, 1)
	if err != nil {
		t.Fatal(err)
	}
	gap := func(tr *match.Transliteration) float64 {
		return tr.Conditional("Sow", "Соо") - tr.Conditional("Swo", "Соо")
	}
	in, flat := gap(tr), gap(tr.WithoutContext())
	t.Logf("log P(Sow | Соо) - log P(Swo | Соо): %.2f in context, %.2f without", in, flat)
	if !(in > 1 && in > flat+1) {
		t.Errorf("Sow is likelier than Swo by %.2f nats in context and %.2f without: want more than a nat, and a nat more in context", in, flat)
	}
}

// TestTransliteration_WithoutContext: a model saved before spellings were
// learnt in context still loads, and still scores a name's own spelling
// above another's.
func TestTransliteration_WithoutContext(t *testing.T) {
	b, err := match.DefaultTransliteration().WithoutContext().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"context"`)) {
		t.Fatal("the model without context still has one")
	}
	tr, err := match.ParseTransliteration(b)
	if err != nil {
		t.Fatal(err)
	}
	if same, other := tr.Score("Wang Xiaoming", "王小明"), tr.Score("Wang Xiaoming", "李娜"); !(same > 0 && same > other) {
		t.Errorf("Score(Wang Xiaoming, 王小明) = %.2f, against 李娜 %.2f: want the first above zero and the second", same, other)
	}
}

// TestSpokenLatin: the second reading sounds what English spelling
// misleads on, and leaves the rest to phoneticSpelling.
func TestSpokenLatin(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Bardot", "BARDO"},        // French final T unsounded
		{"Rigaud", "RIGO"},         // D unsounded, AU as O
		{"Fauchet", "FOCHE"},       // both, CH kept
		{"Ricci", "RICHI"},         // Italian CCI
		{"Szell", "SHEL"},          // Polish SZ, doubled L as one
		{"Czesław", "CHESLAW"},     // Polish CZ; Ł folds to L
		{"Wright", "WRIT"},         // GH unsounded
		{"Toussaint", "TUSAINT"},   // OU as U; T after a consonant stays
		{"Dax", "DAKS"},            // too short to lose its X
		{"de la Cruz", "DELAKRUZ"}, // particles kept as Compact keeps them
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := match.SpokenLatin(c.in); got != c.want {
				t.Errorf("spokenLatin(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
