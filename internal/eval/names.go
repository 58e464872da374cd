package eval

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match"
)

// NamePair is a Latin name and the same name in another script.
type NamePair struct{ Latin, Native string }

// ReadNamePairs reads a transliteration file (latin<TAB>native characters
// separated by spaces<TAB>count). Errors: Malformed, naming the line.
func ReadNamePairs(r io.Reader) ([]NamePair, error) {
	var out []NamePair
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 2 || c[0] == "" || c[1] == "" {
			return nil, fedmatch.E("eval.ReadNamePairs", fedmatch.Malformed, "line %d: want latin<TAB>native", line)
		}
		out = append(out, NamePair{Latin: c[0], Native: strings.ReplaceAll(c[1], " ", "")})
	}
	return out, sc.Err()
}

// NamesResult is cross-script matching at a fixed false-match rate.
type NamesResult struct {
	Pairs, Negatives int
	Threshold        float64 // the score at most FMR of shuffled pairs exceed
	FMR              float64
	Recall           float64 // true pairs scoring above Threshold
}

// String is one report line.
func (r NamesResult) String() string {
	return fmt.Sprintf("%d pairs, recall %.4f at false-match rate %.4f (threshold %.3f over %d shuffled pairs)",
		r.Pairs, r.Recall, r.FMR, r.Threshold, r.Negatives)
}

// Names scores every true pair with sim and, as negatives, each Latin
// name against ten other lines' native names (a fixed seed, so runs
// agree), then reports recall at the threshold that fmr of the negatives
// exceed.
func Names(pairs []NamePair, sim func(a, b string) float64, fmr float64) NamesResult {
	r := rand.New(rand.NewPCG(1, 2))
	var neg []float64
	for i, p := range pairs {
		for range 10 {
			j := r.IntN(len(pairs))
			if j != i && !strings.EqualFold(pairs[j].Latin, p.Latin) {
				neg = append(neg, sim(p.Latin, pairs[j].Native))
			}
		}
	}
	slices.Sort(neg)
	res := NamesResult{Pairs: len(pairs), Negatives: len(neg), FMR: fmr}
	if len(neg) == 0 {
		return res
	}
	res.Threshold = neg[max(0, len(neg)-int(float64(len(neg))*fmr)-1)]
	hits := 0
	for _, p := range pairs {
		if sim(p.Latin, p.Native) > res.Threshold {
			hits++
		}
	}
	res.Recall = float64(hits) / float64(len(pairs))
	return res
}

// Fold is the half of a cross-validation a pair falls in, by a hash of
// its Latin name: a name's every spelling falls in one half, so a model
// never meets in testing a name it learnt.
func Fold(p NamePair) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(p.Latin)))
	return int(h.Sum32() % 2)
}

// TransPairs converts name pairs for training a transliteration.
func TransPairs(pairs []NamePair) []match.TransPair {
	out := make([]match.TransPair, len(pairs))
	for i, p := range pairs {
		out[i] = match.TransPair{Latin: p.Latin, Other: p.Native}
	}
	return out
}

// NamesCrossValidated is Names for learned transliteration measured
// honestly: the pairs of every set are split in two (Fold), a model is
// trained on one half of all the sets and each set's other half is scored
// with it, and the other way round. It returns, per set, each half's
// result (scored by the model that did not see it), and progress, when
// not nil, hears of each step.
func NamesCrossValidated(sets [][]NamePair, fmr float64, progress func(string)) ([][2]NamesResult, error) {
	var folds [2][]match.TransPair
	for _, set := range sets {
		for _, p := range set {
			k := Fold(p)
			folds[k] = append(folds[k], match.TransPair{Latin: p.Latin, Other: p.Native})
		}
	}
	out := make([][2]NamesResult, len(sets))
	for k := range 2 {
		if progress != nil {
			progress(fmt.Sprintf("training on half %d (%d pairs)", k+1, len(folds[k])))
		}
		t, err := match.TrainTransliteration(folds[k], 1)
		if err != nil {
			return nil, err
		}
		for i, set := range sets {
			var test []NamePair
			for _, p := range set {
				if Fold(p) != k {
					test = append(test, p)
				}
			}
			out[i][1-k] = Names(test, t.NameSimilarity, fmr)
		}
	}
	return out, nil
}
