package node

import (
	"math"
	"slices"
	"testing"

	"github.com/fedmatch/fedmatch"
)

// TestFuse: a record found both ways is one match whose odds multiply; a
// biometric-only match starts from one in the records searched; the best
// comes first.
func TestFuse(t *testing.T) {
	rec := func(id string) *fedmatch.Record { return &fedmatch.Record{ID: id} }
	found := []fedmatch.Match{{Record: rec("a"), Kind: fedmatch.KindBiographic, Score: 0.5}, {Record: rec("b"), Kind: fedmatch.KindBiographic, Score: 0.9}}
	bio := []fedmatch.Match{{Record: rec("a"), Kind: fedmatch.KindFingerprint, Decades: 4}, {Record: rec("c"), Kind: fedmatch.KindFace, Decades: 4}}
	out := fuse(found, bio, 1_000_000)
	if len(out) != 3 {
		t.Fatalf("%d matches, want 3", len(out))
	}
	byID := map[string]fedmatch.Match{}
	for _, m := range out {
		byID[m.Record.ID] = m
	}
	if a := byID["a"]; math.Abs(a.Score-1e4/(1+1e4)) > 1e-9 || !slices.Equal(a.Kinds, []string{fedmatch.KindBiographic, fedmatch.KindFingerprint}) || a.Decades != 4 {
		t.Errorf("a: %+v, want odds 1 × 10^4 and both kinds", a)
	}
	if c := byID["c"]; math.Abs(c.Score-0.01/1.01) > 1e-9 || c.Kind != fedmatch.KindFace {
		t.Errorf("c: %+v, want odds 10^4 / 10^6", c)
	}
	if out[0].Record.ID != "a" || out[2].Record.ID != "c" {
		t.Errorf("order %s %s %s, want a b c", out[0].Record.ID, out[1].Record.ID, out[2].Record.ID)
	}
}
