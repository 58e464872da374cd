package synth

import (
	"math"

	"github.com/fedmatch/fedmatch/node/face"
)

// FaceModel is the synthetic face model's name and version.
var FaceModel = face.Model{Name: "synthetic-face", Version: "1", Dim: 512}

// Faces makes identities × samples face templates: templates[i][s] is
// sample s of identity i. Each identity is a random direction in the
// model's space (its centre); each sample is the centre plus Gaussian
// noise of a spread drawn per identity between 0.75 and 1.15 of the
// centre's length, normalised, so genuine pairs score a cosine of about
// 0.4 to 0.65 and impostors about 0 ± 0.045, as published face models'
// scores spread. One sample in ten is a hard capture (pose, age, light):
// its spread is 1.5 to 3.5 times its identity's, and it scores a cosine
// of 0.1 to 0.35 with the others, the long lower tail of real genuine
// scores.
func (g *Gen) Faces(identities, samples int) [][]*face.Template {
	r := g.r
	d := FaceModel.Dim
	out := make([][]*face.Template, identities)
	c := make([]float64, d)
	for i := range out {
		for k := range c {
			c[k] = r.NormFloat64() / math.Sqrt(float64(d))
		}
		spread := 0.75 + 0.4*r.Float64()
		for range samples {
			sp := spread
			if r.IntN(10) == 0 {
				sp *= 1.5 + 2*r.Float64()
			}
			v := make([]float32, d)
			for k := range v {
				v[k] = float32(c[k] + sp*r.NormFloat64()/math.Sqrt(float64(d)))
			}
			out[i] = append(out[i], &face.Template{Model: FaceModel.Name, Version: FaceModel.Version, Vector: v})
		}
	}
	return out
}
