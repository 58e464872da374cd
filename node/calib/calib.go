// Package calib turns a matcher's raw scores into false-match rates, so
// that a policy threshold means the same thing whatever matched: a score of
// 4 decades is one an impostor reaches once in 10,000 comparisons, for a
// fingerprint, a face or a fusion of several.
package calib

import (
	"encoding/json"
	"math"
	"slices"

	"github.com/fedmatch/fedmatch"
)

// A Calibration maps the matcher's raw scores to false-match rates, so
// that a policy threshold is a rate (score 4: one impostor in 10,000
// scores this high) rather than a number only this matcher understands.
//
// It is fitted to impostor scores: Raw[k] is the raw score that a
// fraction 10^-(k+1) of impostors exceed, for as many decades as the
// impostors resolve, and Slope carries the last decade on (raw score per
// decade) where they do not: the tail of impostor scores falls off about
// exponentially.
type Calibration struct {
	Raw   []float64 `json:"raw"`
	Slope float64   `json:"slope"`
}

// Fit fits a calibration to impostor scores; each decade needs
// at least 20 impostors beyond it to be trusted. Errors: Invalid when
// there are too few impostors for one decade.
func Fit(impostors []float64) (*Calibration, error) {
	imp := slices.Sorted(slices.Values(impostors))
	c := &Calibration{}
	for k := 1; ; k++ {
		n := float64(len(imp)) * math.Pow(10, -float64(k))
		if n < 20 {
			break
		}
		c.Raw = append(c.Raw, imp[len(imp)-int(n)])
	}
	switch len(c.Raw) {
	case 0:
		return nil, fedmatch.E("calib.Fit", fedmatch.Invalid, "%d impostor scores: too few to fit even one decade", len(imp))
	case 1:
		c.Slope = max(c.Raw[0], 1e-3)
	default:
		// The tail's slope from the last decade and the impostors' top.
		last := c.Raw[len(c.Raw)-1]
		top := imp[len(imp)-1]
		decades := math.Log10(float64(len(imp)) * math.Pow(10, -float64(len(c.Raw)))) // from the last point to the top
		c.Slope = max((top-last)/max(decades, 0.5), c.Raw[len(c.Raw)-1]-c.Raw[len(c.Raw)-2], 1e-3)
	}
	c.Raw[0] = max(c.Raw[0], 1e-9)
	for i := 1; i < len(c.Raw); i++ {
		c.Raw[i] = max(c.Raw[i], c.Raw[i-1]+1e-9) // strictly rising
	}
	return c, nil
}

// Decades maps a raw score to -log10 of its false-match rate: 0 for a
// score most impostors reach, 4 for one only 1 in 10,000 reach. It is
// linear between the fitted points and rises monotonically.
func (c *Calibration) Decades(raw float64) float64 {
	if raw <= 0 {
		return 0
	}
	if raw <= c.Raw[0] {
		return raw / c.Raw[0] // 0 to 1 below the first decade
	}
	for k := 1; k < len(c.Raw); k++ {
		if raw <= c.Raw[k] {
			return float64(k) + (raw-c.Raw[k-1])/(c.Raw[k]-c.Raw[k-1])
		}
	}
	return float64(len(c.Raw)) + (raw-c.Raw[len(c.Raw)-1])/c.Slope
}

// FMR is the false-match rate of a calibrated score.
func FMR(decades float64) float64 { return math.Pow(10, -decades) }

// Fuse combines calibrated scores of independent comparisons (the
// fingers of one probe) into one, by Fisher's method: a fused score of d
// decades means impostors with every finger independent reach it at a rate
// of 10^-d. Simply adding would overstate a many-finger match, as the sum
// of k impostor scores is larger than any one.
func Fuse(decades ...float64) float64 {
	k := len(decades)
	if k == 0 {
		return 0
	}
	s := 0.0
	for _, d := range decades {
		s += d
	}
	// P(Σ -log10 U_i ≥ s) = 10^-s Σ_{i<k} (s ln 10)^i / i!
	x := s * math.Ln10
	term, sum := 1.0, 1.0
	for i := 1; i < k; i++ {
		term *= x / float64(i)
		sum += term
	}
	return max(0, s-math.Log10(sum))
}

// Parse decodes and checks a calibration. Errors: Malformed,
// Invalid.
func Parse(b []byte) (*Calibration, error) {
	const op = "calib.Parse"
	var c Calibration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if len(c.Raw) == 0 || !(c.Slope > 0) || !(c.Raw[0] > 0) {
		return nil, fedmatch.E(op, fedmatch.Invalid, "want rising raw scores above zero and a positive slope")
	}
	for i := 1; i < len(c.Raw); i++ {
		if !(c.Raw[i] > c.Raw[i-1]) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "raw scores must rise")
		}
	}
	return &c, nil
}

// Marshal encodes the calibration as Parse reads it.
func (c *Calibration) Marshal() []byte {
	b, _ := json.Marshal(c) // floats and a slice of them always encode
	return b
}
