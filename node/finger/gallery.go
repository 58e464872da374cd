package finger

import (
	"cmp"
	"slices"
)

// A Gallery holds enrolled fingerprint views for 1:N search without
// comparing every one in full: a filtering stage by an inverted index of
// edges, then the full matcher on the few records it leaves.
//
// The index files the edges from each view's voting minutiae (voters)
// to their six nearest neighbours under a quantised (length, direction,
// direction) key, per finger position. A probe finger looks up the keys
// its own edges fall near and votes, for each view an entry names, in
// one of 16 bins of the rotation the two edges imply: a mated view
// collects many votes in one bin, an impostor's spread thin (a Hough
// transform over rotation, after Germain, Califano and Colville,
// "Fingerprint matching using transformation parameter clustering",
// 1997). A record's filter score is its best rotation's
// votes summed over the probe's fingers; the best Candidates records are
// compared in full. Views are kept as 500 dpi minutiae only (about 0.5 KB
// with 1.5 KB of index) and prepared again when compared.
//
// Add must not run with Search; searches may run at once.
type Gallery struct {
	views []gview
	pos   [11]*posIndex
	recs  [][]int32 // by record number, its views
}

type gview struct {
	rec int32
	pos uint8
	pts []point
}

// posIndex is one finger position's inverted index: for key k, the
// local view numbers and the edge directions of its entries.
type posIndex struct {
	views []int32 // local → global view
	post  [ixKeys][]uint32
	dirs  [ixKeys][]uint8
}

// Index geometry: lengths in bins of 6 pixels, angles in 32 bins.
const (
	ixNeighbours = 6
	ixLenBin     = 6
	ixLenBins    = 32
	ixAngShift   = 3 // 256 >> 3 = 32 bins
	ixAngBins    = 256 >> ixAngShift
	ixKeys       = ixLenBins * ixAngBins * ixAngBins
	ixRotBins    = 16
	ixMinLen     = 20 // shorter edges' directions are noise, and crowd a few keys
	// Candidates is how many records the filter passes to the full
	// matcher per search.
	Candidates = 20
)

func ixKey(l, i, j int) int {
	return (l*ixAngBins+(i+ixAngBins)%ixAngBins)*ixAngBins + (j+ixAngBins)%ixAngBins
}

// ixEdges calls f with p's edges to each minutia's ixNeighbours nearest
// (Prepare files edges nearest first), but for the shortest.
func ixEdges(p *Prepared, f func(e *edge)) {
	n, last := 0, -1
	for k := range p.edges {
		e := &p.edges[k]
		if int(e.i) != last {
			n, last = 0, int(e.i)
		}
		if n++; n > ixNeighbours || e.d < ixMinLen {
			continue
		}
		f(&p.edges[k])
	}
}

// ixBins is an edge's bin in each dimension of the key, and the
// neighbouring bin its value lies nearer to.
func ixBins(e *edge) (l, l2, i, i2, j, j2 int) {
	x := float64(e.d) / ixLenBin
	l = min(int(x), ixLenBins-1)
	l2 = l + 1
	if x-float64(l) < 0.5 {
		l2 = l - 1
	}
	l2 = max(0, min(l2, ixLenBins-1))
	near := func(a uint8) (int, int) {
		b := int(a >> ixAngShift)
		if int(a)&(1<<ixAngShift-1) < 1<<(ixAngShift-1) {
			return b, b - 1
		}
		return b, b + 1
	}
	i, i2 = near(e.bi)
	j, j2 = near(e.bj)
	return
}

// Add enrols view v of template t, of finger position pos (0 unknown),
// for record rec.
func (g *Gallery) Add(rec int32, pos uint8, t *Template, v *View) {
	pos = min(pos, 10)
	pts := points(t, v)
	gv := int32(len(g.views))
	g.views = append(g.views, gview{rec: rec, pos: pos, pts: pts})
	if int(rec) >= len(g.recs) {
		g.recs = append(g.recs, make([][]int32, int(rec)+1-len(g.recs))...)
	}
	g.recs[rec] = append(g.recs[rec], gv)
	x := g.pos[pos]
	if x == nil {
		x = &posIndex{}
		g.pos[pos] = x
	}
	local := uint32(len(x.views))
	x.views = append(x.views, gv)
	ixEdges(prepare(pts), func(e *edge) {
		l, _, i, _, j, _ := ixBins(e)
		k := ixKey(l, i, j)
		x.post[k] = append(x.post[k], local)
		x.dirs[k] = append(x.dirs[k], e.dir)
	})
}

// Len is the number of views enrolled.
func (g *Gallery) Len() int { return len(g.views) }

// ProbeFinger is one finger of a probe, prepared and indexed, and its
// position (0 unknown).
type ProbeFinger struct {
	Pos uint8
	V   *Prepared
}

// A Candidate is a record the search compared in full, and its best raw
// score against each probe finger (over its views of that position; -1
// where it has none).
type Candidate struct {
	Rec int32
	Raw []float64
}

// Search filters the gallery by the index and compares the best
// Candidates records in full with every probe finger. exhaustive skips
// the filter: every record is compared in full (for measuring what the
// filter costs in recall).
func (g *Gallery) Search(probe []ProbeFinger, exhaustive bool) []Candidate {
	recs := g.filter(probe, exhaustive)
	s := &Scratch{}
	out := make([]Candidate, 0, len(recs))
	for rec := range recs {
		c := Candidate{Rec: rec, Raw: make([]float64, len(probe))}
		for f := range c.Raw {
			c.Raw[f] = -1
		}
		for _, vi := range g.recs[rec] {
			v := &g.views[vi]
			var pv *Prepared // prepared once, for the first probe finger it meets
			for f, p := range probe {
				if p.Pos != 0 && v.pos != 0 && p.Pos != v.pos {
					continue
				}
				if pv == nil {
					pv = prepare(v.pts)
				}
				c.Raw[f] = max(c.Raw[f], Compare(p.V, pv, s))
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int { return cmp.Compare(a.Rec, b.Rec) })
	return out
}

// filter returns the records to compare in full: the Candidates best by
// their filter score, or all with exhaustive.
func (g *Gallery) filter(probe []ProbeFinger, exhaustive bool) map[int32]struct{} {
	out := map[int32]struct{}{}
	if exhaustive {
		for rec, vs := range g.recs {
			if len(vs) > 0 {
				out[int32(rec)] = struct{}{}
			}
		}
		return out
	}
	score := make([]int32, len(g.recs))
	best := make([]int32, len(g.recs)) // per record, this finger's best view
	for _, p := range probe {
		clear(best)
		for pos, x := range g.pos {
			if x == nil || (p.Pos != 0 && pos != 0 && int(p.Pos) != pos) {
				continue
			}
			acc := make([]uint16, len(x.views)*ixRotBins)
			// Each probe edge looks in its own bin and the one beside
			// it that its value is nearer, in each dimension: eight keys.
			ixEdges(p.V, func(e *edge) {
				l, l2, i, i2, j, j2 := ixBins(e)
				for _, dl := range [2]int{l, l2} {
					for _, di := range [2]int{i, i2} {
						for _, dj := range [2]int{j, j2} {
							k := ixKey(dl, di, dj)
							dirs := x.dirs[k]
							for n, v := range x.post[k] {
								acc[int(v)*ixRotBins+int((dirs[n]-e.dir)>>4)]++
							}
						}
					}
				}
			})
			for local, gv := range x.views {
				a := acc[local*ixRotBins : (local+1)*ixRotBins]
				var top int32
				for r := range a {
					top = max(top, int32(a[r])+int32(a[(r+1)%ixRotBins]))
				}
				rec := g.views[gv].rec
				best[rec] = max(best[rec], top)
			}
		}
		for rec, s := range best {
			score[rec] += s
		}
	}
	type rs struct {
		rec   int32
		score int32
	}
	all := make([]rs, 0, len(score))
	for rec, s := range score {
		if s > 0 {
			all = append(all, rs{int32(rec), s})
		}
	}
	slices.SortFunc(all, func(a, b rs) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.rec, b.rec)) })
	for _, r := range all[:min(len(all), Candidates)] {
		out[r.rec] = struct{}{}
	}
	return out
}
