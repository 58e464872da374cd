// Package face searches a node's face templates one to many.
//
// A face template is an embedding: a vector a face-recognition model
// made of one face image, compared with another by cosine similarity.
// Vectors from different models, or from versions of one model, live in
// different spaces and must never be compared, so every template carries
// its model's name and version, a gallery holds one model's, and a probe
// from a model the node does not hold is refused.
//
// The gallery is stored for a fast scan and no allocation per record:
// vectors normalised and quantised to int8 in one contiguous slice, and
// beside them one sign bit per dimension (SimHash of the vector's
// direction, Charikar 2002), also contiguous. A search first ranks every
// record by the Hamming distance of its bits to the probe's, which
// approximates the angle between them, then scores the best Shortlist
// exactly on the int8 vectors. What the shortlist costs in recall is
// measured by BenchmarkSearch and `fedmatch eval biometrics`.
package face

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/calib"
)

// A Model names the model that made a template; Dim is its vector's length.
type Model struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Dim     int    `json:"dim"`
	// Calibration maps the model's cosine similarities to false-match
	// rates (see Calibrate); a policy threshold in decades means the same
	// for every model.
	Calibration *calib.Calibration `json:"calibration,omitempty"`
}

// Template is one face embedding and the model that made it, as probes
// and records carry it.
type Template = fedmatch.FaceTemplate

// Shortlist is how many records a search scores exactly after ranking
// all of them by their sign bits.
const Shortlist = 2048

// A Gallery is one model's face templates, with a record index each.
// Searches may run at once; Add and Calibrate must run alone.
type Gallery struct {
	model Model
	words int       // uint64s of sign bits per record
	bits  []uint64  // words per record
	vecs  []int8    // Dim per record, the unit vector times 127
	scale []float32 // per record: 1/(127·127) times the quantisation's correction
	ids   []int32   // the record index each template belongs to
	dist  sync.Pool // *[]uint16: a search's Hamming distances, reused
}

// NewGallery returns an empty gallery for m. Errors: Invalid for a model
// without a name or with a dimension outside 1 to 4096.
func NewGallery(m Model) (*Gallery, error) {
	if m.Name == "" || m.Dim < 1 || m.Dim > 4096 {
		return nil, fedmatch.E("face.NewGallery", fedmatch.Invalid, "model %q version %q, dimension %d: want a name and 1 to 4096 dimensions", m.Name, m.Version, m.Dim)
	}
	return &Gallery{model: m, words: (m.Dim + 63) / 64}, nil
}

// Model returns the gallery's model.
func (g *Gallery) Model() Model { return g.model }

// Calibrate fits the gallery model's calibration to the cosine
// similarities of pairs random pairs of its templates, drawn with seed:
// in a gallery of many people nearly every such pair is two people, so
// their scores are the impostor distribution this node's searches meet.
// Errors: Invalid when the gallery is too small to resolve one decade.
func (g *Gallery) Calibrate(pairs int, seed uint64) error {
	n := len(g.ids)
	if n < 2 {
		return fedmatch.E("face.Gallery.Calibrate", fedmatch.Invalid, "%d templates: too few to calibrate", n)
	}
	r := rand.New(rand.NewPCG(seed, 0xface))
	dim := g.model.Dim
	q := make([]int16, dim)
	scores := make([]float64, 0, pairs)
	for range pairs {
		a, b := r.IntN(n), r.IntN(n)
		if a == b || g.ids[a] == g.ids[b] {
			continue
		}
		for i, x := range g.vecs[a*dim : (a+1)*dim] {
			q[i] = int16(x)
		}
		// Both quantised: scale by both records' corrections.
		s := float64(dot8(q, g.vecs[b*dim:(b+1)*dim])) * float64(g.scale[b]) * float64(g.scale[a]) * 127 * 127
		scores = append(scores, s)
	}
	c, err := calib.Fit(scores)
	if err != nil {
		return fedmatch.Wrap("face.Gallery.Calibrate", fedmatch.Invalid, err)
	}
	g.model.Calibration = c
	return nil
}

// Decades is a score's false-match rate as -log10, by the model's
// calibration; 0 when the model is not calibrated.
func (g *Gallery) Decades(score float64) float64 {
	if g.model.Calibration == nil {
		return 0
	}
	return g.model.Calibration.Decades(score)
}

// Len is the number of templates held.
func (g *Gallery) Len() int { return len(g.ids) }

// Check refuses a template of another model or of the wrong length, or
// with a vector that is not finite and non-zero. Errors: Unsupported,
// Malformed.
func (g *Gallery) Check(t *Template) error {
	_, err := g.check("face.Gallery.Check", t)
	return err
}

func (g *Gallery) check(op string, t *Template) ([]float32, error) {
	if t.Model != g.model.Name || t.Version != g.model.Version {
		return nil, fedmatch.E(op, fedmatch.Unsupported, "a face template from model %q version %q: this node holds %q version %q", t.Model, t.Version, g.model.Name, g.model.Version)
	}
	if len(t.Vector) != g.model.Dim {
		return nil, fedmatch.E(op, fedmatch.Malformed, "a face template of %d dimensions: model %q has %d", len(t.Vector), g.model.Name, g.model.Dim)
	}
	var n float64
	for _, x := range t.Vector {
		n += float64(x) * float64(x)
	}
	if !(n > 0) || math.IsInf(n, 0) {
		return nil, fedmatch.E(op, fedmatch.Malformed, "a face template whose vector is zero or not finite")
	}
	u := make([]float32, len(t.Vector))
	inv := 1 / math.Sqrt(n)
	for i, x := range t.Vector {
		u[i] = float32(float64(x) * inv)
	}
	return u, nil
}

// Add files a template under record index id. Errors: Unsupported for
// another model's template; Malformed for a bad vector.
func (g *Gallery) Add(id int32, t *Template) error {
	u, err := g.check("face.Gallery.Add", t)
	if err != nil {
		return err
	}
	g.bits = appendBits(g.bits, u, g.words)
	var dot float64
	for _, x := range u {
		q := int8(max(-127, min(127, math.Round(float64(x)*127))))
		g.vecs = append(g.vecs, q)
		dot += float64(q) * float64(x)
	}
	// Scores divide by the quantised vector's projection on the true
	// one, so that a record scored against itself is 1.
	g.scale = append(g.scale, float32(1/(127*dot)))
	g.ids = append(g.ids, id)
	return nil
}

func appendBits(b []uint64, u []float32, words int) []uint64 {
	for w := range words {
		var x uint64
		for i := w * 64; i < min(len(u), w*64+64); i++ {
			if u[i] > 0 {
				x |= 1 << (i - w*64)
			}
		}
		b = append(b, x)
	}
	return b
}

// A Hit is a record and the cosine similarity of its template to the probe.
type Hit struct {
	ID    int32
	Score float64
}

// Search returns up to k records whose templates are most like probe's,
// best first, with a cosine similarity of at least min. Errors:
// Unsupported for a probe from another model; Malformed for a bad vector.
func (g *Gallery) Search(probe *Template, k int, minScore float64) ([]Hit, error) {
	return g.search("face.Gallery.Search", probe, k, minScore, Shortlist)
}

// SearchExact is Search scoring every record, without the shortlist: the
// reference the shortlist's recall is measured against.
func (g *Gallery) SearchExact(probe *Template, k int, minScore float64) ([]Hit, error) {
	return g.search("face.Gallery.SearchExact", probe, k, minScore, len(g.ids))
}

func (g *Gallery) search(op string, probe *Template, k int, minScore float64, shortlist int) ([]Hit, error) {
	u, err := g.check(op, probe)
	if err != nil {
		return nil, err
	}
	n := len(g.ids)
	if n == 0 || k <= 0 {
		return nil, nil
	}
	q := make([]int16, len(u))
	for i, x := range u {
		q[i] = int16(math.Round(float64(x) * 127))
	}
	// 1. Rank every record by the Hamming distance of its signs.
	pb := appendBits(nil, u, g.words)
	dp, _ := g.dist.Get().(*[]uint16)
	if dp == nil || cap(*dp) < n {
		d := make([]uint16, n)
		dp = &d
	}
	defer g.dist.Put(dp)
	dist := (*dp)[:n]
	hist := make([]int, g.model.Dim+2)
	for r := range n {
		d := 0
		row := g.bits[r*g.words : (r+1)*g.words]
		for w, x := range row {
			d += bits.OnesCount64(x ^ pb[w])
		}
		dist[r] = uint16(d)
		hist[d]++
	}
	// 2. Keep the Shortlist nearest (all of those at the cut-off distance).
	cut, kept := 0, 0
	for cut < len(hist) && kept+hist[cut] <= max(shortlist, k) {
		kept += hist[cut]
		cut++
	}
	if kept == 0 && cut < len(hist) { // one distance holds more than the shortlist
		cut++
	}
	// 3. Score the shortlist on the int8 vectors.
	var hits []Hit
	dim := g.model.Dim
	for r := range n {
		if int(dist[r]) >= cut {
			continue
		}
		v := g.vecs[r*dim : (r+1)*dim]
		s := float64(dot8(q, v)) * float64(g.scale[r])
		if s >= minScore {
			hits = append(hits, Hit{ID: g.ids[r], Score: s})
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return int(a.ID - b.ID)
	})
	return hits[:min(k, len(hits))], nil
}

// dot8 is the dot product of the probe's and a record's quantised vectors.
func dot8(q []int16, v []int8) int32 {
	var s0, s1, s2, s3 int32
	v = v[:len(q)]
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += int32(q[i]) * int32(v[i])
		s1 += int32(q[i+1]) * int32(v[i+1])
		s2 += int32(q[i+2]) * int32(v[i+2])
		s3 += int32(q[i+3]) * int32(v[i+3])
	}
	for ; i < len(q); i++ {
		s0 += int32(q[i]) * int32(v[i])
	}
	return s0 + s1 + s2 + s3
}

// Cosine is the cosine similarity of two vectors over their common
// length, 0 when either is zero.
func Cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range min(len(a), len(b)) {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
