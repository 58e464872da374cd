package finger

import (
	"cmp"
	"math"
	"slices"
)

// The matcher is local-structure matching with a global consolidation
// step, after Jiang and Yau ("Fingerprint Minutiae Matching Based on the
// Local and Global Structures", ICPR 2000) with the edge tables of
// SourceAFIS (Robert Važan, sourceafis.machinezoo.com/algorithm):
//
//  1. Each minutia (in a large print, each of the voters nearest its
//     middle) is joined to its nearest neighbours by edges; an edge is
//     described by what rotation and translation cannot change: its
//     length and both minutiae's directions relative to it.
//  2. The probe's edges go into a table keyed by those three quantised,
//     each edge under every key within tolerance, so one lookup per
//     gallery edge finds the probe edges like it. Each like pair is a vote
//     for the two minutia correspondences it implies: a correspondence
//     whose neighbourhoods agree collects many votes.
//  3. The best-supported correspondences each fix a rotation and
//     translation; under each, the probe's minutiae are paired with the
//     gallery's within a distance that grows away from the anchor (skin
//     stretches), and the best pairing counts.
//  4. The score weighs the paired minutiae against those that lie where
//     the two prints overlap, so a partial print is not penalised for
//     minutiae it never showed.
const (
	neighbours = 6 // edges per minutia
	// galleryNeighbours is how many of them vote from the gallery's side:
	// the probe's table keeps all six, so a pair of minutiae that are
	// near neighbours in one print and not quite in the other still meet.
	galleryNeighbours = 4
	maxEdge           = 180. // longest edge, pixels at 500 dpi
	lenTol            = 6.   // edge length tolerance, pixels, plus lenTolRel of the length
	lenTolRel         = 0.05 //
	angTol            = 10   // edge angle tolerance, in 256ths of a turn (14°)
	lenBin            = 12.  // pixels per length bin
	angBins           = 20   // direction bins per turn
	roots             = 4    // correspondences tried as anchors
	maxVoters         = 36   // minutiae whose edges vote, nearest the print's middle
	pairTol           = 14.  // pairing distance at the anchor, pixels
	pairTolRel        = 0.08 // and this much of the distance from it
	pairAngTol        = 21   // pairing direction tolerance, 256ths of a turn (30°)
	overlapSlack      = 20.  // pixels beyond the other print's extent still counted as overlap
	minOverlap        = 10   // the fewest minutiae a print is weighed as having
	cell              = 32.  // the gallery grid's cell, pixels
	dpi500            = 197  // pixels per centimetre at 500 dpi
)

var lenBins = int(math.Ceil((maxEdge+lenTol+lenTolRel*maxEdge)/lenBin)) + 1

// Angles are kept in 256ths of a turn, so that differences wrap by
// themselves in eight bits; sincos holds each one's sine and cosine.
var sincos = func() (t [256][2]float32) {
	for a := range t {
		s, c := math.Sincos(float64(a) * 2 * math.Pi / 256)
		t[a] = [2]float32{float32(s), float32(c)}
	}
	return t
}()

// angDiff is the difference of two angles, in 256ths of a turn, 0 to 128.
func angDiff(a, b uint8) int {
	d := int(int8(a - b))
	if d < 0 {
		return -d
	}
	return d
}

func toAngle(rad float64) uint8 {
	return uint8(int(math.Round(rad*256/(2*math.Pi))) & 0xff)
}

// point is a minutia scaled to 500 dpi.
type point struct {
	x, y float32
	dir  uint8
	kind Kind
}

// edge joins minutia i to j: its length, its direction, each minutia's
// direction relative to it, and its table key.
type edge struct {
	i, j       uint8
	dir        uint8
	bi, bj     uint8
	d, tol     float32
	key        int32
	lb, ib, jb int16
}

// A Prepared is one view ready to compare: its minutiae, their edges, the
// extent they cover and a grid of them by place. Probes are also indexed
// with a table of edges by key (Index).
type Prepared struct {
	pts   []point
	edges []edge
	near  []edge     // the edges to each minutia's galleryNeighbours nearest: a gallery view's votes
	box   [4]float32 // min x, min y, max x, max y
	// The grid: cells of cell pixels from the box's corner, gw across;
	// cell c's minutiae are grid[gstart[c]:gstart[c+1]].
	gw, gh int
	gstart []uint16
	grid   []uint8
	// The probe table: the edges under key k are table[start[k]:start[k+1]],
	// copied there so that a lookup reads them in a row.
	start []int32
	table []tableEdge
}

// tableEdge is what a lookup compares of a probe edge.
type tableEdge struct {
	d            float32
	i, j, bi, bj uint8
	dir          uint8
}

// MaxMinutiae is the most minutiae a view is compared by; a record holds
// up to 255 and the matcher keeps the first 255 (all of them).
const MaxMinutiae = 255

// Prepare turns a view's minutiae into what the matcher compares,
// rescaling them to 500 dpi by the template's resolution.
func Prepare(t *Template, v *View) *Prepared {
	return prepare(points(t, v))
}

// points scales a view's minutiae to 500 dpi. Records measure y downwards
// and angles anticlockwise; y is turned up so that angles and positions
// agree.
func points(t *Template, v *View) []point {
	sx, sy := 1.0, 1.0
	if t.ResX > 0 && t.ResY > 0 {
		sx, sy = float64(dpi500)/float64(t.ResX), float64(dpi500)/float64(t.ResY)
	}
	pts := make([]point, 0, min(len(v.Minutiae), MaxMinutiae))
	for _, m := range v.Minutiae[:min(len(v.Minutiae), MaxMinutiae)] {
		pts = append(pts, point{x: float32(float64(m.X) * sx), y: float32(-float64(m.Y) * sy), dir: toAngle(m.Angle), kind: m.Kind})
	}
	return pts
}

// prepare builds the edges and grid of pts.
func prepare(pts []point) *Prepared {
	inf := float32(math.Inf(1))
	p := &Prepared{pts: pts, box: [4]float32{inf, inf, -inf, -inf}}
	for _, pt := range pts {
		p.box = [4]float32{min(p.box[0], pt.x), min(p.box[1], pt.y), max(p.box[2], pt.x), max(p.box[3], pt.y)}
	}
	// Each minutia's nearest neighbours by squared distance, kept in a
	// short sorted list rather than sorting all the others.
	type near struct {
		j  int
		d2 float32
	}
	var ns [neighbours + 1]near
	votes := voters(p.pts)
	for i, a := range p.pts {
		if !votes[i] {
			continue
		}
		k := 0
		for j, b := range p.pts {
			dx, dy := b.x-a.x, b.y-a.y
			d2 := dx*dx + dy*dy
			if j == i || d2 > maxEdge*maxEdge || d2 == 0 || (k == neighbours && d2 >= ns[k-1].d2) {
				continue
			}
			at := min(k, neighbours-1)
			if k < neighbours {
				k++
			}
			for at > 0 && ns[at-1].d2 > d2 {
				ns[at] = ns[at-1]
				at--
			}
			ns[at] = near{j, d2}
		}
		for r, n := range ns[:k] {
			b := p.pts[n.j]
			d := math.Sqrt(float64(n.d2))
			dir := toAngle(math.Atan2(float64(b.y-a.y), float64(b.x-a.x)))
			e := edge{i: uint8(i), j: uint8(n.j), d: float32(d), tol: float32(lenTol + lenTolRel*d), dir: dir, bi: a.dir - dir, bj: b.dir - dir}
			e.lb, e.ib, e.jb = int16(d/lenBin), int16(int(e.bi)*angBins/256), int16(int(e.bj)*angBins/256)
			e.key = int32(key(int(e.lb), int(e.ib), int(e.jb)))
			p.edges = append(p.edges, e)
			if r < galleryNeighbours {
				p.near = append(p.near, e)
			}
		}
	}
	p.buildGrid()
	return p
}

// voters marks the minutiae whose edges vote: every one, or in a print
// with more than maxVoters the maxVoters nearest its middle. Voting costs
// the square of the minutiae voting, and the middle of a print is where
// two impressions most often overlap and skin stretches least; pairing
// still counts every minutia.
func voters(pts []point) []bool {
	in := make([]bool, len(pts))
	if len(pts) <= maxVoters {
		for i := range in {
			in[i] = true
		}
		return in
	}
	var cx, cy float32
	for _, q := range pts {
		cx, cy = cx+q.x, cy+q.y
	}
	cx, cy = cx/float32(len(pts)), cy/float32(len(pts))
	d2 := func(i int) float32 { return (pts[i].x-cx)*(pts[i].x-cx) + (pts[i].y-cy)*(pts[i].y-cy) }
	order := make([]int, len(pts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(d2(a), d2(b)) })
	for _, i := range order[:maxVoters] {
		in[i] = true
	}
	return in
}

// buildGrid files the minutiae by cell.
func (p *Prepared) buildGrid() {
	if len(p.pts) == 0 {
		return
	}
	p.gw, p.gh = int((p.box[2]-p.box[0])/cell)+1, int((p.box[3]-p.box[1])/cell)+1
	p.gstart = make([]uint16, p.gw*p.gh+1)
	cellOf := func(q point) int {
		return int((q.y-p.box[1])/cell)*p.gw + int((q.x-p.box[0])/cell)
	}
	for _, q := range p.pts {
		p.gstart[cellOf(q)+1]++
	}
	for c := 1; c < len(p.gstart); c++ {
		p.gstart[c] += p.gstart[c-1]
	}
	p.grid = make([]uint8, len(p.pts))
	fill := slices.Clone(p.gstart)
	for i, q := range p.pts {
		c := cellOf(q)
		p.grid[fill[c]] = uint8(i)
		fill[c]++
	}
}

// Index adds the probe table to p: each edge under every key within the
// tolerances. A probe compared with many gallery views is indexed once.
func (p *Prepared) Index() *Prepared {
	if p.start != nil {
		return p
	}
	// Counted two places on, so that after the running sum counts[k+1]
	// is where key k starts: filling moves it on to where k ends, which
	// is where k+1 starts, with no second array of cursors.
	nk := lenBins * angBins * angBins
	counts := make([]int32, nk+2)
	p.keys(func(k, _ int) { counts[k+2]++ })
	for k := 2; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	p.table = make([]tableEdge, counts[nk+1])
	p.keys(func(k, n int) {
		e := &p.edges[n]
		p.table[counts[k+1]] = tableEdge{d: e.d, i: e.i, j: e.j, bi: e.bi, bj: e.bj, dir: e.dir}
		counts[k+1]++
	})
	p.start = counts[:nk+1]
	return p
}

// keys calls f with every key each edge is filed under: every length
// and angle bin its tolerances reach.
func (p *Prepared) keys(f func(k, e int)) {
	for n, e := range p.edges {
		tol := float64(e.tol)
		i0, i1 := (int(e.bi)-angTol)*angBins>>8, (int(e.bi)+angTol)*angBins>>8
		j0, j1 := (int(e.bj)-angTol)*angBins>>8, (int(e.bj)+angTol)*angBins>>8
		for l := max(0, int((float64(e.d)-tol)/lenBin)); l <= min(lenBins-1, int((float64(e.d)+tol)/lenBin)); l++ {
			for i := i0; i <= i1; i++ {
				for j := j0; j <= j1; j++ {
					f(key(l, i, j), n)
				}
			}
		}
	}
}

func key(l, i, j int) int {
	return (l*angBins+(i+angBins)%angBins)*angBins + (j+angBins)%angBins
}

// A Scratch holds a comparison's working memory, so a 1:N search
// allocates nothing per gallery view. It is not safe for concurrent use.
type Scratch struct {
	votes   []float32
	rot     []uint8
	touched []int32
	best    []int32
	gUsed   []bool
}

// Compare scores probe against gallery: the raw similarity, from 0 when
// nothing corresponds to 1 for the same minutiae, growing with the
// minutiae paired (Calibration turns it into a false-match rate). The probe must
// be indexed; s may be nil.
func Compare(probe, gallery *Prepared, s *Scratch) float64 {
	if s == nil {
		s = &Scratch{}
	}
	np, ng := len(probe.pts), len(gallery.pts)
	if np == 0 || ng == 0 {
		return 0
	}
	if cap(s.votes) < np*ng {
		s.votes = make([]float32, np*ng)
		s.rot = make([]uint8, np*ng)
	}
	votes, rot := s.votes[:np*ng], s.rot[:np*ng]
	s.touched = s.touched[:0]
	// 2. Vote for correspondences through like edges.
	for gk := range gallery.near {
		g := &gallery.near[gk]
		for pe := range probe.table[probe.start[g.key]:probe.start[g.key+1]] {
			e := &probe.table[probe.start[g.key]+int32(pe)]
			dd := e.d - g.d
			if dd > g.tol || -dd > g.tol || angDiff(e.bi, g.bi) > angTol || angDiff(e.bj, g.bj) > angTol {
				continue
			}
			w := 1 - abs32(dd)/g.tol
			for _, c := range [2]int{int(e.i)*ng + int(g.i), int(e.j)*ng + int(g.j)} {
				if votes[c] == 0 {
					s.touched = append(s.touched, int32(c))
					rot[c] = g.dir - e.dir
				}
				votes[c] += w
			}
		}
	}
	if len(s.touched) == 0 {
		return 0
	}
	// 3. Anchor on the best-supported correspondences and pair under each.
	s.best = s.best[:0]
	for _, c := range s.touched {
		s.best = insertTop(s.best, c, votes)
	}
	if cap(s.gUsed) < ng {
		s.gUsed = make([]bool, ng)
	}
	best := 0.0
	for _, c := range s.best {
		pi, gi := int(c)/ng, int(c)%ng
		best = max(best, align(probe, gallery, pi, gi, rot[c], s.gUsed[:ng]))
	}
	for _, c := range s.touched {
		votes[c] = 0
	}
	return best
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// insertTop keeps the roots best correspondences by votes.
func insertTop(best []int32, c int32, votes []float32) []int32 {
	if len(best) == roots && votes[c] <= votes[best[roots-1]] {
		return best
	}
	i := len(best)
	for i > 0 && votes[best[i-1]] < votes[c] {
		i--
	}
	if len(best) < roots {
		best = append(best, 0)
	}
	copy(best[i+1:], best[i:len(best)-1])
	best[i] = c
	return best
}

// align turns the probe by theta so that minutia pi lies on gi, pairs
// minutiae and scores the pairing against the overlap.
func align(probe, gallery *Prepared, pi, gi int, theta uint8, used []bool) float64 {
	clear(used)
	sin, cos := sincos[theta][0], sincos[theta][1]
	a, b := probe.pts[pi], gallery.pts[gi]
	paired, inP, inG := 0, 0, 0
	box := gallery.box
	inf := float32(math.Inf(1))
	tbox := [4]float32{inf, inf, -inf, -inf}
	for _, p := range probe.pts {
		dx, dy := p.x-a.x, p.y-a.y
		x, y := b.x+dx*cos-dy*sin, b.y+dx*sin+dy*cos
		dir := p.dir + theta
		tbox = [4]float32{min(tbox[0], x), min(tbox[1], y), max(tbox[2], x), max(tbox[3], y)}
		if x < box[0]-overlapSlack || x > box[2]+overlapSlack || y < box[1]-overlapSlack || y > box[3]+overlapSlack {
			continue
		}
		inP++
		rx, ry := x-b.x, y-b.y
		tol := pairTol + pairTolRel*float32(math.Sqrt(float64(rx*rx+ry*ry)))
		bestJ, bestD := -1, tol*tol
		cx0, cx1 := max(0, int((x-tol-box[0])/cell)), min(gallery.gw-1, int((x+tol-box[0])/cell))
		cy0, cy1 := max(0, int((y-tol-box[1])/cell)), min(gallery.gh-1, int((y+tol-box[1])/cell))
		for cy := cy0; cy <= cy1; cy++ {
			row := cy * gallery.gw
			for _, j := range gallery.grid[gallery.gstart[row+cx0]:gallery.gstart[row+cx1+1]] {
				g := gallery.pts[j]
				ex, ey := g.x-x, g.y-y
				if d := ex*ex + ey*ey; d < bestD && !used[j] && angDiff(g.dir, dir) <= pairAngTol {
					bestJ, bestD = int(j), d
				}
			}
		}
		if bestJ >= 0 {
			used[bestJ] = true
			paired++
		}
	}
	for _, g := range gallery.pts {
		if g.x >= tbox[0]-overlapSlack && g.x <= tbox[2]+overlapSlack && g.y >= tbox[1]-overlapSlack && g.y <= tbox[3]+overlapSlack {
			inG++
		}
	}
	if paired < 2 {
		return 0
	}
	m := float64(paired)
	return min(1, m*m/(float64(max(inP, minOverlap))*float64(max(inG, minOverlap)))*math.Min(1, m/12))
}
