package calib_test

import (
	"math"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/calib"
)

// TestFit: on uniform impostor scores each decade lands where
// it should, and Decades rises with the raw score.
func TestFit(t *testing.T) {
	imp := make([]float64, 100_000)
	for i := range imp {
		imp[i] = float64(i) / float64(len(imp))
	}
	c, err := calib.Fit(imp)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []float64{0.9, 0.99, 0.999} {
		if math.Abs(c.Raw[k]-want) > 1e-3 {
			t.Errorf("decade %d at %.4f, want %.3f", k+1, c.Raw[k], want)
		}
	}
	prev := -1.0
	for x := 0.0; x < 2; x += 0.01 {
		d := c.Decades(x)
		if d < prev {
			t.Fatalf("Decades(%.2f) = %.3f below Decades of a lower score %.3f", x, d, prev)
		}
		prev = d
	}
	if _, err := calib.Fit(imp[:100]); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Errorf("100 impostors: %v, want Invalid", err)
	}
	if back, err := calib.Parse(c.Marshal()); err != nil || back.Decades(0.95) != c.Decades(0.95) {
		t.Errorf("round trip: %v", err)
	}
	for _, bad := range []string{`{"raw": [], "slope": 1}`, `{"raw": [0.5, 0.4], "slope": 1}`, `{"raw": [0.5], "slope": 0}`, `{`} {
		if _, err := calib.Parse([]byte(bad)); err == nil {
			t.Errorf("ParseCalibration(%s): no error", bad)
		}
	}
}

// TestFuse: one score fuses to itself; two fingers at 2 decades each are
// stronger evidence than one, but weaker than 4 decades, as Fisher's
// method says (10^-4 · (1 + 4 ln 10)).
func TestFuse(t *testing.T) {
	if got := calib.Fuse(3); math.Abs(got-3) > 1e-12 {
		t.Errorf("Fuse(3) = %v", got)
	}
	want := 4 - math.Log10(1+4*math.Ln10)
	if got := calib.Fuse(2, 2); math.Abs(got-want) > 1e-9 || got <= 2 || got >= 4 {
		t.Errorf("Fuse(2, 2) = %v, want %v", got, want)
	}
	if calib.Fuse() != 0 || calib.Fuse(0, 0, 0) != 0 {
		t.Error("no evidence must fuse to 0")
	}
}
