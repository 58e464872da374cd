package finger_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/calib"
	"github.com/fedmatch/fedmatch/node/finger"
)

// MustPrepareDir prepares every template of a shared FVC2002 folder.
func MustPrepareDir(tb testing.TB, db string) []*finger.Prepared {
	tb.Helper()
	files, _ := filepath.Glob(shared + "fvc2002-iso/" + db + "/*.iso")
	if len(files) == 0 {
		tb.Fatalf("no templates in %s", db)
	}
	var out []*finger.Prepared
	for _, f := range files {
		t := MustParse(tb, MustRead(tb, f))
		out = append(out, finger.Prepare(t, &t.Views[0]).Index())
	}
	return out
}

// TestCompare_FVC holds the matcher to its measured accuracy on the
// FVC2002 B templates (neilharan/openafis, BSD-2-Clause): each database's
// EER below OpenAFIS's on the same templates, with a margin, and the mean
// at most 5 %.
func TestCompare_FVC(t *testing.T) {
	sets, err := eval.ReadFingerDir(shared + "fvc2002-iso")
	if err != nil {
		t.Fatal(err)
	}
	openAFIS := map[string]float64{"DB1_B": 0.081, "DB2_B": 0.075, "DB3_B": 0.142, "DB4_B": 0.067}
	sum := 0.0
	for _, set := range sets {
		r := eval.ErrorRates(eval.CompareAll(set, finger.Compare), 0.01)
		t.Logf("%s: %s", set.Name, r)
		sum += r.EER
		if r.EER > openAFIS[set.Name]*0.6 {
			t.Errorf("%s: EER %.4f, want under 0.6 of OpenAFIS's %.3f", set.Name, r.EER, openAFIS[set.Name])
		}
	}
	if mean := sum / float64(len(sets)); mean > 0.05 {
		t.Errorf("mean EER %.4f, want at most 0.05", mean)
	}
}

// TestCompare_Synthetic: under the documented distortion model (rotation,
// translation, elastic stretch, noise, dropout, spurious minutiae,
// partial prints) the EER is under 1 %.
func TestCompare_Synthetic(t *testing.T) {
	set, err := eval.SyntheticFingers(11, 40, 6, synth.DefaultFingerOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := eval.ErrorRates(eval.CompareAll(set, finger.Compare), 0.001)
	t.Logf("synthetic: %s", r)
	if r.EER >= 0.01 {
		t.Errorf("synthetic EER %.4f, want under 0.01", r.EER)
	}
}

// TestCompare_Invariance: a print scores as well against itself turned
// and moved as against itself, and nothing against an empty view.
func TestCompare_Invariance(t *testing.T) {
	tp := MustParse(t, MustRead(t, shared+"sourceafis/iso-probe.dat"))
	self := finger.Compare(finger.Prepare(tp, &tp.Views[0]).Index(), finger.Prepare(tp, &tp.Views[0]), nil)
	moved := *tp
	moved.Width, moved.Height = 1000, 1000
	v := tp.Views[0]
	v.Minutiae = nil
	sin, cos := math.Sincos(0.5)
	for _, m := range tp.Views[0].Minutiae {
		x, y := float64(m.X), float64(m.Y)
		m.X, m.Y = int(math.Round(300+x*cos-y*sin)), int(math.Round(200+x*sin+y*cos))
		m.Angle = math.Mod(m.Angle-0.5+2*math.Pi, 2*math.Pi)
		v.Minutiae = append(v.Minutiae, m)
	}
	moved.Views = []finger.View{v}
	turned := finger.Compare(finger.Prepare(tp, &tp.Views[0]).Index(), finger.Prepare(&moved, &moved.Views[0]), nil)
	other := MustParse(t, MustRead(t, shared+"sourceafis/iso-nonmatching.dat"))
	impostor := finger.Compare(finger.Prepare(tp, &tp.Views[0]).Index(), finger.Prepare(other, &other.Views[0]), nil)
	t.Logf("self %.3f, turned 29° and moved %.3f, another finger %.3f", self, turned, impostor)
	if self < 0.9 || turned < 0.9*self || impostor > 0.5*turned {
		t.Errorf("self %.3f, turned %.3f, another finger %.3f: want the first two alike and high, the third far below", self, turned, impostor)
	}
	empty := &finger.Template{ResX: 197, ResY: 197, Views: []finger.View{{}}}
	if s := finger.Compare(finger.Prepare(tp, &tp.Views[0]).Index(), finger.Prepare(empty, &empty.Views[0]), nil); s != 0 {
		t.Errorf("against no minutiae: %v, want 0", s)
	}
}

// TestDefaultCalibration_HeldOut: a calibration fitted to FVC2002 DB1 and
// DB2's impostors predicts the rate at which DB3 and DB4's impostors pass
// its 1 % score within a factor of three, and never understates the rate
// by more than noise where it extrapolates (0.1 %: 12,160 impostors
// resolve only two decades, and the fitted tail errs high).
func TestDefaultCalibration_HeldOut(t *testing.T) {
	sets, err := eval.ReadFingerDir(shared + "fvc2002-iso")
	if err != nil {
		t.Fatal(err)
	}
	c, err := calib.Fit(eval.AllImpostors(sets[:2], finger.Compare))
	if err != nil {
		t.Fatal(err)
	}
	test := eval.AllImpostors(sets[2:], finger.Compare)
	for _, decades := range []float64{2, 3} {
		above := 0
		for _, x := range test {
			if c.Decades(x) > decades {
				above++
			}
		}
		rate, want := float64(above)/float64(len(test)), calib.FMR(decades)
		t.Logf("%.0f decades: held-out rate %.5f, calibrated %.5f", decades, rate, want)
		if rate > 2*want || (decades == 2 && rate < want/3) {
			t.Errorf("%.0f decades: held-out impostors pass at %.5f, calibrated %.5f", decades, rate, want)
		}
	}
	if d := finger.DefaultCalibration(); len(d.Raw) < 3 {
		t.Errorf("the shipped calibration resolves %d decades, want 3", len(d.Raw))
	}
}

// BenchmarkCompare is one 1:1 comparison of prepared templates as a 1:N
// search makes them: one indexed probe against each gallery view in turn,
// every ordered pair of one FVC2002 database; "all" takes the four in
// turn, so its rate is theirs pooled (the target's measure).
func BenchmarkCompare(b *testing.B) {
	dbs := []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"}
	views := map[string][]*finger.Prepared{}
	for _, db := range dbs {
		views[db] = MustPrepareDir(b, db)
	}
	run := func(b *testing.B, dbs ...string) {
		s := &finger.Scratch{}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			vs := views[dbs[n%len(dbs)]]
			k := n / len(dbs)
			finger.Compare(vs[k/len(vs)%len(vs)], vs[k%len(vs)], s)
			n++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmp/s")
	}
	for _, db := range dbs {
		b.Run(db, func(b *testing.B) { run(b, db) })
	}
	b.Run("all", func(b *testing.B) { run(b, dbs...) })
}
