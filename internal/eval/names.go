package eval

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/fedmatch/fedmatch"
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
