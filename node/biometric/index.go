// Package biometric is a node's index of its records' fingerprint and face
// templates, searched 1:N and reported as calibrated evidence: decades of
// false-match rate, fused over the fingers and face a probe carries.
package biometric

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/calib"
	"github.com/fedmatch/fedmatch/node/face"
	"github.com/fedmatch/fedmatch/node/finger"
)

// Config is what the index holds and how it scores.
type Config struct {
	// Faces are the face models the node holds; a face from any other is
	// refused (Unsupported). A model without a calibration is calibrated
	// on its own gallery once it holds CalibrateAt templates, and
	// refused until then.
	Faces []face.Model
	// CalibrateAt is the gallery size at which a face model is
	// (re)calibrated on random pairs of its templates; it is refitted
	// each time the gallery doubles.
	CalibrateAt int
	// Fingers maps fingerprint scores to false-match rates; nil is
	// finger.DefaultCalibration.
	Fingers *calib.Calibration
}

// DefaultConfig holds no face model and calibrates galleries of 2,000.
func DefaultConfig() Config { return Config{CalibrateAt: 2000} }

// Index is a node's biometric index.
type Index struct {
	cfg     Config
	fcal    *calib.Calibration
	mu      sync.RWMutex
	ids     []string // record index → id
	fingers finger.Gallery
	faces   map[string]*gallery
}

type gallery struct {
	*face.Gallery
	fitted int // size at the last calibration
}

var _ fedmatch.BiometricIndex = (*Index)(nil)

// New returns an empty index. Errors: Invalid for a face model a gallery
// cannot be made for.
func New(cfg Config) (*Index, error) {
	x := &Index{cfg: cfg, fcal: cfg.Fingers, faces: map[string]*gallery{}}
	if x.fcal == nil {
		x.fcal = finger.DefaultCalibration()
	}
	for _, m := range cfg.Faces {
		g, err := face.NewGallery(m)
		if err != nil {
			return nil, fedmatch.Wrap("biometric.New", fedmatch.Invalid, err)
		}
		x.faces[modelKey(m.Name, m.Version)] = &gallery{Gallery: g}
	}
	return x, nil
}

func modelKey(name, version string) string { return name + "\x00" + version }

// parseFingers reads a probe's or record's fingerprints. Errors:
// Malformed, naming the finger.
func parseFingers(op string, fps []fedmatch.Fingerprint) ([]*finger.Template, error) {
	out := make([]*finger.Template, len(fps))
	for i, f := range fps {
		t, err := finger.Parse(f.Template)
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Malformed, "fingerprints[%d]: %w", i, err)
		}
		out[i] = t
	}
	return out, nil
}

// face returns the gallery for t's model. Errors: Unsupported.
func (x *Index) face(op string, t *fedmatch.FaceTemplate) (*gallery, error) {
	g := x.faces[modelKey(t.Model, t.Version)]
	if g == nil {
		held := make([]string, 0, len(x.cfg.Faces))
		for _, m := range x.cfg.Faces {
			held = append(held, fmt.Sprintf("%s %s", m.Name, m.Version))
		}
		return nil, fedmatch.E(op, fedmatch.Unsupported, "face model %q version %q is not held by this node (it holds %v)", t.Model, t.Version, held)
	}
	return g, nil
}

// Check refuses a record whose templates do not parse or whose face model
// the node does not hold. Errors: Malformed, Unsupported.
func (x *Index) Check(r *fedmatch.Record) error {
	const op = "biometric.Check"
	if _, err := parseFingers(op, r.Fingerprints); err != nil {
		return err
	}
	if r.Face != nil {
		g, err := x.face(op, r.Face)
		if err != nil {
			return err
		}
		if err := g.Check(r.Face); err != nil {
			return fedmatch.Wrap(op, fedmatch.Malformed, err)
		}
	}
	return nil
}

// Add files the templates of r, which Check accepted, under id; a
// template it cannot hold is skipped (a record loaded from disk whose
// face model the node no longer holds is kept, unsearchable by face).
func (x *Index) Add(id string, r *fedmatch.Record) {
	if len(r.Fingerprints) == 0 && r.Face == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	rec := int32(len(x.ids))
	x.ids = append(x.ids, id)
	if ts, err := parseFingers("biometric.Add", r.Fingerprints); err == nil {
		for i, t := range ts {
			for k := range t.Views {
				x.fingers.Add(rec, uint8(r.Fingerprints[i].Position), t, &t.Views[k])
			}
		}
	}
	if r.Face != nil {
		if g, err := x.face("biometric.Add", r.Face); err == nil {
			_ = g.Add(rec, r.Face) // checked
		}
	}
}

// Len is how many fingerprint views and faces the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := x.fingers.Len()
	for _, g := range x.faces {
		n += g.Len()
	}
	return n
}

// Search finds the records whose templates match the probe's: the probe's
// fingers go through the fingerprint gallery's filter (finger.Gallery),
// the records it keeps are compared in full with each probe finger, on
// their views of the same position (or any, where either position is
// unknown), and a record's fingers are fused by Fisher's method over the
// probe fingers it was compared on; its face is searched 1:N and
// calibrated; the modalities are fused the same way.
// Errors: Malformed, Unsupported.
func (x *Index) Search(p *fedmatch.Probe, limit int, minDecades float64) ([]fedmatch.BiometricHit, error) {
	const op = "biometric.Search"
	probes, err := parseFingers(op, p.Fingerprints)
	if err != nil {
		return nil, err
	}
	if p.Face != nil {
		if err := x.calibrate(p.Face); err != nil {
			return nil, err
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	type evidence struct{ finger, face []float64 }
	found := map[int32]*evidence{}
	get := func(rec int32) *evidence {
		e := found[rec]
		if e == nil {
			e = &evidence{}
			found[rec] = e
		}
		return e
	}
	// Fingers: the gallery's filter, then each candidate's best view of
	// each probe finger, calibrated.
	var pf []finger.ProbeFinger
	for i, t := range probes {
		for k := range t.Views {
			pf = append(pf, finger.ProbeFinger{Pos: uint8(p.Fingerprints[i].Position), V: finger.Prepare(t, &t.Views[k]).Index()})
		}
	}
	if len(pf) > 0 {
		for _, c := range x.fingers.Search(pf, false) {
			e := get(c.Rec)
			for _, raw := range c.Raw {
				if raw >= 0 { // compared: the record has this finger
					e.finger = append(e.finger, x.fcal.Decades(raw))
				}
			}
		}
	}
	// Face: 1:N over its model's gallery.
	if p.Face != nil {
		g, err := x.face(op, p.Face)
		if err != nil {
			return nil, err
		}
		hits, err := g.Search(p.Face, max(limit, 1), 0)
		if err != nil {
			return nil, fedmatch.Wrap(op, fedmatch.Malformed, err)
		}
		for _, h := range hits {
			e := get(h.ID)
			e.face = append(e.face, g.Decades(h.Score))
		}
	}
	var out []fedmatch.BiometricHit
	for rec, e := range found {
		h := fedmatch.BiometricHit{ID: x.ids[rec]}
		var parts []float64
		if len(e.finger) > 0 {
			d := calib.Fuse(e.finger...)
			parts = append(parts, d)
			if d >= minDecades {
				h.Kinds = append(h.Kinds, fedmatch.KindFingerprint)
			}
		}
		if len(e.face) > 0 {
			parts = append(parts, e.face[0])
			if e.face[0] >= minDecades {
				h.Kinds = append(h.Kinds, fedmatch.KindFace)
			}
		}
		h.Decades = calib.Fuse(parts...)
		if h.Decades >= minDecades && len(h.Kinds) > 0 {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b fedmatch.BiometricHit) int {
		return cmp.Or(cmp.Compare(b.Decades, a.Decades), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), max(limit, 0))], nil
}

// calibrate makes sure the face model of t is calibrated: by its
// configuration, or on its own gallery once it holds CalibrateAt
// templates, refitted as it doubles. Errors: Unsupported.
func (x *Index) calibrate(t *fedmatch.FaceTemplate) error {
	const op = "biometric.Search"
	g, err := x.face(op, t) // the galleries are fixed at New
	if err != nil {
		return err
	}
	due := func() bool {
		n := g.Len()
		return x.cfg.CalibrateAt > 0 && n >= x.cfg.CalibrateAt && n >= 2*g.fitted
	}
	// Searches share the lock; only a search that finds a refit due
	// takes it alone, and checks again once it has.
	x.mu.RLock()
	refit := due()
	x.mu.RUnlock()
	if refit {
		x.mu.Lock()
		if due() {
			if err := g.Calibrate(200_000, uint64(g.Len())); err == nil {
				g.fitted = g.Len()
			}
		}
		x.mu.Unlock()
	}
	x.mu.RLock()
	calibrated := g.Model().Calibration != nil
	x.mu.RUnlock()
	if !calibrated {
		return fedmatch.E(op, fedmatch.Unsupported, "face model %q version %q is not calibrated: configure its calibration or enrol at least %d faces", t.Model, t.Version, x.cfg.CalibrateAt)
	}
	return nil
}
