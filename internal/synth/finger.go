package synth

import (
	"math"

	"github.com/fedmatch/fedmatch/node/finger"
)

// FingerOptions set the synthetic fingerprint distortion model. Each
// impression of a master finger is, in this order:
//
//   - elastically distorted: skin pressed on a sensor stretches around
//     where it first touched, so each minutia moves away from a random
//     centre by Stretch times a Gaussian of its distance (σ 100 px) times
//     that distance;
//   - rotated by up to ±Rotation radians and translated by up to
//     ±Translation pixels, uniformly;
//   - perturbed: Gaussian noise of PosNoise pixels on position and
//     AngleNoise radians on direction, as an extractor places minutiae;
//   - thinned: each minutia dropped with probability Dropout, and
//     Spurious times as many false minutiae added at random;
//   - cropped to the sensor window (Width × Height), which a shifted
//     finger overlaps only in part: partial prints.
//
// Master fingers have 35 to 65 minutiae, at least 12 pixels apart, with
// directions following a smooth ridge-flow field (a core-like whorl plus
// a slope), as real minutiae do: random directions would make matching
// unrealistically easy.
type FingerOptions struct {
	Width, Height int
	Rotation      float64
	Translation   float64
	Stretch       float64
	PosNoise      float64
	AngleNoise    float64
	Dropout       float64
	Spurious      float64
}

// DefaultFingerOptions is a 500 dpi 300×400 sensor with the distortions of
// a careful but real capture.
func DefaultFingerOptions() FingerOptions {
	return FingerOptions{Width: 300, Height: 400, Rotation: 0.35, Translation: 40, Stretch: 0.06,
		PosNoise: 2.5, AngleNoise: 0.12, Dropout: 0.15, Spurious: 0.1}
}

// master is a synthetic finger: minutiae in a frame larger than the
// sensor, centred on it.
type master struct{ ms []finger.Minutia }

func (g *Gen) masterFinger(o FingerOptions) master {
	r := g.r
	n := 35 + r.IntN(31)
	w, h := float64(o.Width)*1.2, float64(o.Height)*1.2
	cx, cy := w*(0.4+0.2*r.Float64()), h*(0.35+0.2*r.Float64())
	slope := (r.Float64() - 0.5) * 0.8
	var ms []finger.Minutia
	for tries := 0; len(ms) < n && tries < 5000; tries++ {
		x, y := r.Float64()*w, r.Float64()*h
		ok := true
		for _, m := range ms {
			if math.Hypot(float64(m.X)-x, float64(m.Y)-y) < 12 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		// Ridges circle the core and tilt with the slope; a minutia
		// points along its ridge, either way.
		flow := math.Atan2(y-cy, x-cx) + math.Pi/2 + slope
		if r.IntN(2) == 0 {
			flow += math.Pi
		}
		ms = append(ms, finger.Minutia{X: int(x), Y: int(y), Angle: norm(flow + r.NormFloat64()*0.15), Kind: finger.Kind(1 + r.IntN(2))})
	}
	return master{ms}
}

// impression is one capture of a master finger under o.
func (g *Gen) impression(m master, o FingerOptions) []finger.Minutia {
	r := g.r
	w, h := float64(o.Width)*1.2, float64(o.Height)*1.2
	// Elastic distortion around a touch point.
	tx, ty := w*(0.3+0.4*r.Float64()), h*(0.3+0.4*r.Float64())
	stretch := o.Stretch * (r.Float64()*2 - 1)
	rot := o.Rotation * (r.Float64()*2 - 1)
	dx, dy := o.Translation*(r.Float64()*2-1), o.Translation*(r.Float64()*2-1)
	sin, cos := math.Sincos(rot)
	ox, oy := (w-float64(o.Width))/2, (h-float64(o.Height))/2
	var out []finger.Minutia
	for _, mm := range m.ms {
		if r.Float64() < o.Dropout {
			continue
		}
		x, y := float64(mm.X), float64(mm.Y)
		ex, ey := x-tx, y-ty
		k := stretch * math.Exp(-(ex*ex+ey*ey)/(2*100*100))
		x, y = x+k*ex, y+k*ey
		// Rotate about the frame's centre, translate, into the sensor.
		x, y = x-w/2, y-h/2
		x, y = x*cos-y*sin+w/2+dx-ox, x*sin+y*cos+h/2+dy-oy
		x += r.NormFloat64() * o.PosNoise
		y += r.NormFloat64() * o.PosNoise
		// Image y runs down, so an anticlockwise turn of the picture is
		// a clockwise one of the angles measured from it.
		a := norm(mm.Angle - rot + r.NormFloat64()*o.AngleNoise)
		if x >= 0 && y >= 0 && x < float64(o.Width) && y < float64(o.Height) {
			out = append(out, finger.Minutia{X: int(x), Y: int(y), Angle: a, Kind: mm.Kind, Quality: 60})
		}
	}
	for range int(float64(len(m.ms)) * o.Spurious) {
		out = append(out, finger.Minutia{X: r.IntN(o.Width), Y: r.IntN(o.Height), Angle: r.Float64() * 2 * math.Pi, Kind: finger.Kind(1 + r.IntN(2)), Quality: 30})
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:min(len(out), finger.MaxMinutiae)]
}

func norm(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	// Keep it below 2π after the format's rounding.
	return math.Min(a, 2*math.Pi*255/256)
}

// Fingers makes fingers × impressions ISO templates: templates[f][i] is
// impression i of finger f.
func (g *Gen) Fingers(fingers, impressions int, o FingerOptions) [][]*finger.Template {
	out := make([][]*finger.Template, fingers)
	for f := range out {
		m := g.masterFinger(o)
		for range impressions {
			out[f] = append(out[f], &finger.Template{Format: finger.ISO, Width: uint16(o.Width), Height: uint16(o.Height), ResX: 197, ResY: 197,
				Views: []finger.View{{Position: uint8(1 + f%10), Quality: 60, Minutiae: g.impression(m, o)}}})
		}
	}
	return out
}
