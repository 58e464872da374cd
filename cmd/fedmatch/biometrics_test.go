package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/face"
	"github.com/fedmatch/fedmatch/wire"
)

// calibratedFaceModel is the synthetic face model with a calibration
// fitted to 3,000 synthetic faces, as a node's face-models.json holds it.
func calibratedFaceModel(t *testing.T) face.Model {
	t.Helper()
	g, err := face.NewGallery(synth.FaceModel)
	require_True(t, err == nil, "NewGallery: %v", err)
	for i, s := range synth.New(99).Faces(3000, 1) {
		require_True(t, g.Add(int32(i), s[0]) == nil, "Add")
	}
	require_True(t, g.Calibrate(100_000, 1) == nil, "Calibrate")
	return g.Model()
}

// fvcTemplate reads one FVC2002 DB1 template from the shared data.
func fvcTemplate(t *testing.T, fingerImpression string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fvc, "DB1_B", fingerImpression+".iso"))
	require_True(t, err == nil, "shared data beside the repository: %v", err)
	return b
}

// TestFederation_Biometrics runs a real federation (embedded NATS,
// broker, node, real signatures and OPA) whose UK node holds records
// with fingerprints (FVC2002 templates) and faces (synthetic), and shows
// that a query with a fingerprint, a face or both finds the right record
// with its match kinds; that a face-only hit is told as hit/no-hit by the
// UK's policy while a fingerprint hit discloses identity; that a face
// from a model the node does not hold is refused as unsupported; and that
// a record with a malformed template is refused at import, changing
// nothing.
func TestFederation_Biometrics(t *testing.T) {
	f := mustTestFed(t)
	model := calibratedFaceModel(t)
	dir := f.dataDir(gb)
	require_True(t, os.MkdirAll(dir, 0o700) == nil, "mkdir")
	b, _ := json.Marshal([]face.Model{model})
	require_True(t, os.WriteFile(filepath.Join(dir, faceModelsFile), b, 0o600) == nil, "write face models")

	now := time.Now()
	faces := synth.New(5).Faces(60, 2)
	rec := func(id, surname string, fp []byte, fc *face.Template) *fedmatch.Record {
		r := &fedmatch.Record{ID: id, Category: fedmatch.ImmigrationOffender, CollectedAt: fedmatch.Date(now.AddDate(-1, 0, 0).Format("2006-01-02")),
			RetentionUntil: fedmatch.Date(now.AddDate(5, 0, 0).Format("2006-01-02")), Surname: surname}
		if fp != nil {
			r.Fingerprints = []fedmatch.Fingerprint{{Position: 2, Template: fp}}
		}
		if fc != nil {
			r.Face = fc
		}
		return r
	}
	// Ten people with a fingerprint and a face; fifty more with a face only.
	var recs []*fedmatch.Record
	for i := range 10 {
		recs = append(recs, rec(fmt.Sprintf("p%d", i), fmt.Sprintf("Person%d", i), fvcTemplate(t, fmt.Sprintf("%d_1", 101+i)), faces[i][0]))
	}
	for i := 10; i < 60; i++ {
		recs = append(recs, rec(fmt.Sprintf("p%d", i), "", nil, faces[i][0]))
	}
	defer f.node(gb, recs, nil).Close()
	f.broker()

	// A record whose template is cut short is refused at import, whole.
	bad := rec("bad", "Bad", fvcTemplate(t, "101_1")[:40], nil)
	err := importRecords(dir, []*fedmatch.Record{bad, rec("fine", "Fine", nil, nil)})
	require_True(t, fedmatch.IsCode(err, fedmatch.Malformed), "a truncated template: %v, want malformed", err)

	rq := f.requester(us)
	ask := func(p fedmatch.Probe) (*fedmatch.NodeResult, error) {
		res, err := rq.Ask(f.ctx, &wire.QueryRequest{Purpose: fedmatch.ImmigrationEnforcement, Basis: "gb-us-2026",
			Targets: []fedmatch.AgencyID{gb}, Probe: p})
		if err != nil {
			return nil, err
		}
		require_True(t, len(res.Nodes) == 1, "%d node results", len(res.Nodes))
		return &res.Nodes[0], nil
	}
	fp := func(s string) []fedmatch.Fingerprint {
		return []fedmatch.Fingerprint{{Position: 2, Template: fvcTemplate(t, s)}}
	}
	fc := func(i int) *fedmatch.FaceTemplate {
		f := *faces[i][1] // a copy: one subtest changes its model
		return &f
	}

	t.Run("fingerprint finds its person and discloses identity", func(t *testing.T) {
		nr, err := ask(fedmatch.Probe{Fingerprints: fp("103_4")})
		require_True(t, err == nil, "Ask: %v", err)
		require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer != nil, "%s %s", nr.Status, nr.Reason)
		h := nr.Answer.Hits[0]
		require_True(t, h.Kind == fedmatch.KindFingerprint && h.Fields["surname"] == "Person2", "first hit %+v, want Person2 by fingerprint", h)
	})
	t.Run("a finger nobody enrolled is no hit", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(fvc, "DB2_B", "104_2.iso"))
		require_True(t, err == nil, "read: %v", err)
		nr, err := ask(fedmatch.Probe{Fingerprints: []fedmatch.Fingerprint{{Position: 2, Template: b}}})
		require_True(t, err == nil, "Ask: %v", err)
		require_True(t, nr.Status == fedmatch.StatusNoHit, "%s %s, want no_hit", nr.Status, nr.Reason)
	})
	t.Run("face alone is hit/no-hit", func(t *testing.T) {
		nr, err := ask(fedmatch.Probe{Face: fc(40)})
		require_True(t, err == nil, "Ask: %v", err)
		require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer != nil, "%s %s", nr.Status, nr.Reason)
		h := nr.Answer.Hits[0]
		require_True(t, h.Kind == fedmatch.KindFace && len(h.Fields) == 0, "first hit %+v, want a face hit with no fields", h)
	})
	t.Run("fingerprint and face fuse into one hit", func(t *testing.T) {
		nr, err := ask(fedmatch.Probe{Fingerprints: fp("105_3"), Face: fc(4)})
		require_True(t, err == nil, "Ask: %v", err)
		require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer != nil, "%s %s", nr.Status, nr.Reason)
		h := nr.Answer.Hits[0]
		require_True(t, slices.Equal(h.Kinds, []string{fedmatch.KindFingerprint, fedmatch.KindFace}) && h.Fields["surname"] == "Person4",
			"first hit %+v, want Person4 by fingerprint and face", h)
	})
	t.Run("a face from a model the node does not hold is refused", func(t *testing.T) {
		other := fc(3)
		other.Model = "arcface-r100"
		nr, err := ask(fedmatch.Probe{Face: other})
		require_True(t, err == nil, "Ask: %v", err)
		require_True(t, nr.Status == fedmatch.StatusError && nr.Reason == fedmatch.Unsupported.String(), "%s %q, want error unsupported", nr.Status, nr.Reason)
	})
}
