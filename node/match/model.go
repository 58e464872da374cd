package match

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/durable"
)

// A Fellegi–Sunter model. Each comparison of a probe with a record
// (surname, given names, date of birth ...) falls into one of a few
// agreement levels. For each level the model holds m, the probability of
// that level when probe and record are the same person, and u, its
// probability when they are not. A pair's match weight is the sum over
// the comparisons both sides can make of log2(m/u), plus the prior odds
// log2(λ/(1-λ)) of a candidate being a match; the reported score is the
// match probability 2^w / (1 + 2^w). A comparison one side cannot make
// (a missing date of birth) adds nothing: it is neither for nor against.
//
// The m and u values are data, not code: estimated from the node's own
// records by expectation maximisation (Estimate) or from labelled pairs
// (EstimateLabelled), stored with the node as JSON and loaded at start.
// The levels are code: ComparisonSpecs names them, and a model must give
// m and u for exactly those.

// Comparison names, in the order of a Vector.
const (
	CmpSurname = iota
	CmpGiven
	CmpDOB
	CmpSex
	CmpNationality
	CmpPlaceOfBirth
	CmpDocument
	CmpAddress
	numComparisons
)

// Missing is the level of a comparison one side cannot make.
const Missing = -1

// Vector holds one agreement level per comparison (Missing where a side
// lacks the field).
type Vector [numComparisons]int8

// ComparisonSpec names a comparison and its agreement levels, best first.
type ComparisonSpec struct {
	Name   string
	Levels []string
}

// ComparisonSpecs lists the comparisons and their levels. Their order is
// the order of a Vector; a model's comparisons must match it.
func ComparisonSpecs() []ComparisonSpec {
	return []ComparisonSpec{
		{"surname", []string{"exact", "close", "similar", "different"}},
		{"given_names", []string{"exact", "close", "similar", "different"}},
		{"date_of_birth", []string{"exact", "partial", "day_month_swapped", "year_off_by_one", "one_part_differs", "different"}},
		{"sex", []string{"agree", "differ"}},
		{"nationality", []string{"agree", "differ"}},
		{"place_of_birth", []string{"similar", "different"}},
		{"document", []string{"same_number", "transposed", "one_character", "different"}},
		{"address", []string{"same", "close", "different"}},
	}
}

// Level thresholds on Jaro–Winkler similarity for names: close is what a
// typing or transliteration slip leaves (SMITH/SMYTH 0.95), similar what a
// different spelling of the same name leaves (MOHAMMED/MUHAMMAD 0.88).
const (
	closeJW   = 0.94
	similarJW = 0.85
)

// Comparison is one comparison's m and u per level.
type Comparison struct {
	Name   string    `json:"name"`
	Levels []string  `json:"levels"`
	M      []float64 `json:"m"`
	U      []float64 `json:"u"`
}

// Model is a Fellegi–Sunter model: the prior and every comparison's m and
// u. Models are stored as JSON (model.json in a node's data directory).
type Model struct {
	// Prior is λ, the share of candidate pairs (pairs that share a
	// blocking key) that are the same person.
	Prior       float64      `json:"prior"`
	Comparisons []Comparison `json:"comparisons"`
	// Source says how the model was estimated: from which data, by which
	// method, how many pairs.
	Source string `json:"source"`

	// weights[c][l] = log2(m/u); prior = log2(λ/(1-λ)); best[c] is the
	// largest weight of comparison c, for bounding a partial score.
	weights [numComparisons][]float64
	prior   float64
	best    [numComparisons]float64
}

// minProb bounds m and u away from 0 so no single level is infinitely
// decisive: a document number that agrees is very strong evidence, not
// proof, and one that differs does not rule out a renewed passport.
const minProb = 1e-9

//go:embed default_model.json
var defaultModel []byte

// DefaultModel returns the model a node uses until it has estimated its
// own: default_model.json, estimated from labelled synthetic pairs (see
// its source field; regenerate with `fedmatch model estimate`).
func DefaultModel() *Model {
	m, err := ParseModel(defaultModel)
	if err != nil {
		panic("match: the embedded default model is invalid: " + err.Error()) // a build error, caught by tests
	}
	return m
}

// ParseModel decodes and checks a model: its comparisons and levels must
// be exactly ComparisonSpecs', every m and u a probability, each summing
// to 1. Errors: Malformed, Invalid.
func ParseModel(b []byte) (*Model, error) {
	const op = "match.ParseModel"
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	m.appendMissing()
	if err := m.init(); err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	return &m, nil
}

// appendMissing completes a model saved before comparisons were appended
// to ComparisonSpecs (from CmpAddress on) with those comparisons at m = u:
// they weigh nothing, so a node's estimated model keeps loading and scores
// as it did, until it is estimated again. A model with fewer comparisons
// than the first models had, or whose comparisons are not a prefix of the
// specs, is left for init to refuse.
func (m *Model) appendMissing() {
	specs := ComparisonSpecs()
	if len(m.Comparisons) < CmpAddress || len(m.Comparisons) >= len(specs) {
		return
	}
	for _, s := range specs[len(m.Comparisons):] {
		even := make([]float64, len(s.Levels))
		for i := range even {
			even[i] = 1 / float64(len(even))
		}
		m.Comparisons = append(m.Comparisons, Comparison{Name: s.Name, Levels: s.Levels, M: even, U: slices.Clone(even)})
	}
}

// Marshal encodes the model as indented JSON.
func (m *Model) Marshal() []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // plain data: cannot fail
	return append(b, '\n')
}

// init checks the model and precomputes its weights.
func (m *Model) init() error {
	specs := ComparisonSpecs()
	if !(m.Prior > 0 && m.Prior < 1) {
		return fmt.Errorf("prior %v is not a probability strictly between 0 and 1", m.Prior)
	}
	if len(m.Comparisons) != len(specs) {
		return fmt.Errorf("%d comparisons, want %d (%s)", len(m.Comparisons), len(specs), specNames(specs))
	}
	m.prior = math.Log2(m.Prior / (1 - m.Prior))
	for i, c := range m.Comparisons {
		s := specs[i]
		if c.Name != s.Name || !slices.Equal(c.Levels, s.Levels) {
			return fmt.Errorf("comparison %d is %s %v, want %s %v", i, c.Name, c.Levels, s.Name, s.Levels)
		}
		if len(c.M) != len(s.Levels) || len(c.U) != len(s.Levels) {
			return fmt.Errorf("comparison %s: want %d m and u values, one per level", c.Name, len(s.Levels))
		}
		for _, ps := range [][]float64{c.M, c.U} {
			sum := 0.0
			for _, p := range ps {
				if !(p > 0 && p <= 1) {
					return fmt.Errorf("comparison %s: %v is not a probability above 0", c.Name, p)
				}
				sum += p
			}
			if math.Abs(sum-1) > 1e-3 {
				return fmt.Errorf("comparison %s: probabilities sum to %.4f, not 1", c.Name, sum)
			}
		}
		m.weights[i] = make([]float64, len(s.Levels))
		m.best[i] = math.Inf(-1)
		for l := range s.Levels {
			m.weights[i][l] = math.Log2(c.M[l] / c.U[l])
			m.best[i] = max(m.best[i], m.weights[i][l])
		}
	}
	return nil
}

func specNames(specs []ComparisonSpec) string {
	var ns []string
	for _, s := range specs {
		ns = append(ns, s.Name)
	}
	return strings.Join(ns, ", ")
}

// Weight returns the match weight of v: the prior odds plus log2(m/u) of
// each level, in bits.
func (m *Model) Weight(v Vector) float64 {
	w := m.prior
	for c, l := range v {
		if l != Missing {
			w += m.weights[c][l]
		}
	}
	return w
}

// Probability turns a match weight into a match probability.
func Probability(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// WeightOf returns the weight in bits a probability corresponds to.
func WeightOf(p float64) float64 { return math.Log2(p / (1 - p)) }

// newModel builds a model from m, u and λ, bounding each probability
// away from 0 and renormalising.
func newModel(prior float64, ms, us [][]float64, source string) (*Model, error) {
	specs := ComparisonSpecs()
	model := &Model{Prior: min(max(prior, minProb), 1-minProb), Source: source}
	for i, s := range specs {
		model.Comparisons = append(model.Comparisons, Comparison{Name: s.Name, Levels: s.Levels, M: bounded(ms[i]), U: bounded(us[i])})
	}
	if err := model.init(); err != nil {
		return nil, err
	}
	return model, nil
}

func bounded(ps []float64) []float64 {
	out := make([]float64, len(ps))
	sum := 0.0
	for i, p := range ps {
		out[i] = max(p, minProb)
		sum += out[i]
	}
	for i := range out {
		out[i] = round6(out[i] / sum)
	}
	return out
}

// round6 keeps stored models readable; six significant digits are far
// finer than any estimate.
func round6(p float64) float64 {
	if p == 0 {
		return 0
	}
	e := math.Pow(10, 5-math.Floor(math.Log10(p)))
	return math.Round(p*e) / e
}

// ModelFile is the model's file name in a node's data directory.
const ModelFile = "model.json"

// LoadModel reads dir/model.json, or returns the default model when the
// node has none. Errors: Malformed, Invalid, Internal.
func LoadModel(dir string) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, ModelFile))
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultModel(), nil
	}
	if err != nil {
		return nil, fedmatch.E("match.LoadModel", fedmatch.Internal, "%w", err)
	}
	m, err := ParseModel(b)
	if err != nil {
		return nil, fedmatch.Wrap("match.LoadModel", fedmatch.Invalid, fmt.Errorf("%s: %w", filepath.Join(dir, ModelFile), err))
	}
	return m, nil
}

// SaveModel writes m to dir/model.json durably (fsynced, then renamed into
// place), replacing any model there.
func SaveModel(dir string, m *Model) error {
	if err := durable.WriteFile(filepath.Join(dir, ModelFile), m.Marshal(), 0o600); err != nil {
		return fedmatch.E("match.SaveModel", fedmatch.Internal, "%w", err)
	}
	return nil
}

// Table writes the model as a table: each comparison level with m, u and
// its weight in bits.
func (m *Model) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "prior λ %.6g (%+.2f bits)\t\t\t\t\n", m.Prior, m.prior)
	fmt.Fprintln(tw, "comparison\tlevel\tm\tu\tweight (bits)\t")
	for c, cmp := range m.Comparisons {
		for l, name := range cmp.Levels {
			fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%+.2f\t\n", cmp.Name, name, cmp.M[l], cmp.U[l], m.weights[c][l])
		}
	}
	return tw.Flush()
}
