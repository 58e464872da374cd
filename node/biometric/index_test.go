package biometric_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/biometric"
	"github.com/fedmatch/fedmatch/node/face"
)

const fvc = "../../../shared/data/biometrics/fvc2002-iso/DB1_B/"

// MustTemplate reads an FVC2002 DB1 template.
func MustTemplate(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(fvc + name + ".iso")
	if err != nil {
		tb.Fatalf("shared data beside the repository: %v", err)
	}
	return b
}

// MustIndex returns an index holding the synthetic face model, calibrated
// on its gallery from 200 faces, and ten records, finger 101+i's first
// impression at position 2 and face i each.
func MustIndex(tb testing.TB, faces [][]*face.Template) *biometric.Index {
	tb.Helper()
	x, err := biometric.New(biometric.Config{Faces: []face.Model{synth.FaceModel}, CalibrateAt: 200})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range faces {
		r := &fedmatch.Record{Face: faces[i][0]}
		if i < 10 {
			r.Fingerprints = []fedmatch.Fingerprint{{Position: 2, Template: MustTemplate(tb, fmt.Sprintf("%d_1", 101+i))}}
		}
		if err := x.Check(r); err != nil {
			tb.Fatal(err)
		}
		x.Add(fmt.Sprintf("r%d", i), r)
	}
	return x
}

// TestIndex_Search: each finger's other impressions find its record
// first, the position must agree unless unknown, a face finds its record,
// and both fuse.
func TestIndex_Search(t *testing.T) {
	faces := synth.New(1).Faces(300, 2)
	x := MustIndex(t, faces)
	first, total := 0, 0
	for i := range 10 {
		for imp := 2; imp <= 8; imp++ {
			hits, err := x.Search(&fedmatch.Probe{Fingerprints: []fedmatch.Fingerprint{{Position: 2, Template: MustTemplate(t, fmt.Sprintf("%d_%d", 101+i, imp))}}}, 5, 2)
			if err != nil {
				t.Fatal(err)
			}
			total++
			if len(hits) > 0 && hits[0].ID == fmt.Sprintf("r%d", i) && hits[0].Kinds[0] == fedmatch.KindFingerprint {
				first++
			}
		}
	}
	t.Logf("fingerprint rank 1: %d of %d", first, total)
	if first < total*9/10 {
		t.Errorf("fingerprint rank 1: %d of %d, want 90 %%", first, total)
	}
	probe := func(pos int) *fedmatch.Probe {
		return &fedmatch.Probe{Fingerprints: []fedmatch.Fingerprint{{Position: pos, Template: MustTemplate(t, "103_2")}}}
	}
	if hits, _ := x.Search(probe(7), 5, 2); len(hits) != 0 {
		t.Errorf("a left index probe met right index records: %+v", hits)
	}
	if hits, _ := x.Search(probe(0), 5, 2); len(hits) == 0 || hits[0].ID != "r2" {
		t.Errorf("an unknown position must be compared with every finger: %+v", hits)
	}
	f := faces[3][1]
	p := &fedmatch.Probe{Face: f,
		Fingerprints: []fedmatch.Fingerprint{{Position: 2, Template: MustTemplate(t, "104_5")}}}
	hits, err := x.Search(p, 5, 2)
	if err != nil || len(hits) == 0 || hits[0].ID != "r3" || len(hits[0].Kinds) != 2 {
		t.Fatalf("fingerprint and face of r3: %+v, %v", hits, err)
	}
	faceOnly, _ := x.Search(&fedmatch.Probe{Face: p.Face}, 5, 2)
	if len(faceOnly) == 0 || faceOnly[0].ID != "r3" || hits[0].Decades <= faceOnly[0].Decades {
		t.Errorf("both modalities (%+v) must be stronger evidence than the face alone (%+v)", hits[0], faceOnly)
	}
}

// TestIndex_Refuses: a malformed template or a face model the node does
// not hold is refused with its code, at import and at search; a model not
// yet calibrated is refused at search.
func TestIndex_Refuses(t *testing.T) {
	x := MustIndex(t, synth.New(2).Faces(10, 1))
	bad := &fedmatch.Record{Fingerprints: []fedmatch.Fingerprint{{Position: 2, Template: MustTemplate(t, "101_1")[:30]}}}
	if err := x.Check(bad); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Errorf("Check(truncated template): %v", err)
	}
	if _, err := x.Search(&fedmatch.Probe{Fingerprints: bad.Fingerprints}, 5, 2); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Errorf("Search(truncated template): %v", err)
	}
	other := &fedmatch.FaceTemplate{Model: "arcface", Version: "1", Vector: []float32{1, 0}}
	if err := x.Check(&fedmatch.Record{Face: other}); !fedmatch.IsCode(err, fedmatch.Unsupported) {
		t.Errorf("Check(other model): %v", err)
	}
	if _, err := x.Search(&fedmatch.Probe{Face: other}, 5, 2); !fedmatch.IsCode(err, fedmatch.Unsupported) {
		t.Errorf("Search(other model): %v", err)
	}
	short := &fedmatch.FaceTemplate{Model: synth.FaceModel.Name, Version: synth.FaceModel.Version, Vector: []float32{1, 0}}
	if err := x.Check(&fedmatch.Record{Face: short}); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Errorf("Check(short vector): %v", err)
	}
	// Ten faces are too few to calibrate on: the model is refused.
	f := synth.New(2).Faces(1, 1)[0][0]
	if _, err := x.Search(&fedmatch.Probe{Face: f}, 5, 2); !fedmatch.IsCode(err, fedmatch.Unsupported) {
		t.Errorf("Search(uncalibrated model): %v", err)
	}
}
