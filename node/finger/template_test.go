package finger_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/finger"
)

const shared = "../../../shared/data/biometrics/"

// MustRead reads a file of the shared data, failing the test without it.
func MustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("shared data beside the repository: %v", err)
	}
	return b
}

// MustParse parses a template, failing the test on an error.
func MustParse(tb testing.TB, b []byte) *finger.Template {
	tb.Helper()
	t, err := finger.Parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestParse_FVC: every FVC2002 template parses as ISO and is written back
// byte for byte.
func TestParse_FVC(t *testing.T) {
	files, _ := filepath.Glob(shared + "fvc2002-iso/DB*/*.iso")
	if len(files) != 320 {
		t.Fatalf("%d FVC2002 templates, want 320", len(files))
	}
	for _, f := range files {
		b := MustRead(t, f)
		tp, err := finger.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if tp.Format != finger.ISO || len(tp.Views) != 1 || len(tp.Views[0].Minutiae) < 6 || tp.ResX != 197 {
			t.Fatalf("%s: format %v, %d views, resolution %d", f, tp.Format, len(tp.Views), tp.ResX)
		}
		out, err := tp.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("%s: written back differs (%v)", f, err)
		}
	}
}

// TestParse_SourceAFIS: the SourceAFIS fixtures, zero-padded to 384
// bytes, parse with the minutiae counts their README gives.
func TestParse_SourceAFIS(t *testing.T) {
	for name, want := range map[string]int{"iso-probe.dat": 38, "iso-matching.dat": 38, "iso-nonmatching.dat": 39} {
		tp := MustParse(t, MustRead(t, shared+"sourceafis/"+name))
		if got := len(tp.Views[0].Minutiae); got != want {
			t.Errorf("%s: %d minutiae, want %d", name, got, want)
		}
	}
}

// TestParse_Invalid: every record in the shared invalid set, and each
// way of breaking a good one, is refused as Malformed with a message
// naming what is wrong.
func TestParse_Invalid(t *testing.T) {
	files, _ := filepath.Glob(shared + "invalid/*")
	if len(files) == 0 {
		t.Fatal("no invalid records")
	}
	for _, f := range files {
		if _, err := finger.Parse(MustRead(t, f)); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Errorf("%s: %v, want Malformed", filepath.Base(f), err)
		} else {
			t.Logf("%s: %v", filepath.Base(f), err)
		}
	}
	good := MustRead(t, shared+"fvc2002-iso/DB1_B/101_1.iso")
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
		code fedmatch.Code
	}{
		{"empty", func(b []byte) []byte { return nil }, fedmatch.Malformed},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, fedmatch.Malformed},
		{"length too long", func(b []byte) []byte { b[11]++; return b }, fedmatch.Malformed},
		{"length too short", func(b []byte) []byte { b[11]--; return b }, fedmatch.Malformed},
		{"trailing garbage", func(b []byte) []byte { return append(b, 1) }, fedmatch.Malformed},
		{"zero resolution", func(b []byte) []byte { b[18], b[19] = 0, 0; return b }, fedmatch.Malformed},
		{"no views", func(b []byte) []byte { b[22] = 0; return b }, fedmatch.Malformed},
		{"finger position 11", func(b []byte) []byte { b[24] = 11; return b }, fedmatch.Malformed},
		{"view quality 101", func(b []byte) []byte { b[26] = 101; return b }, fedmatch.Malformed},
		{"more minutiae than bytes", func(b []byte) []byte { b[27]++; return b }, fedmatch.Malformed},
		{"fewer minutiae than bytes", func(b []byte) []byte { b[27]--; return b }, fedmatch.Malformed},
		{"reserved kind", func(b []byte) []byte { b[28] |= 0xc0; return b }, fedmatch.Malformed},
		{"outside the image", func(b []byte) []byte { b[28], b[29] = b[28]&0xc0|0x3f, 0xff; return b }, fedmatch.Malformed},
		{"minutia quality 200", func(b []byte) []byte { b[33] = 200; return b }, fedmatch.Malformed},
		{"extended data past the end", func(b []byte) []byte { b[len(b)-1] = 9; return b }, fedmatch.Malformed},
		{"too large", func(b []byte) []byte { return make([]byte, finger.MaxSize+1) }, fedmatch.TooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := finger.Parse(tc.edit(bytes.Clone(good)))
			if !fedmatch.IsCode(err, tc.code) {
				t.Fatalf("Parse: %v, want %v", err, tc.code)
			}
			t.Log(err)
		})
	}
}

// TestTemplate_Marshal_ANSI: a template written as ANSI 378 reads back
// as ANSI with the same minutiae, angles to the format's 2 degrees.
func TestTemplate_Marshal_ANSI(t *testing.T) {
	tp := MustParse(t, MustRead(t, shared+"sourceafis/iso-probe.dat"))
	tp.Format, tp.Product = finger.ANSI, 0x00330001
	b, err := tp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back := MustParse(t, b)
	if back.Format != finger.ANSI || back.Product != tp.Product || len(back.Views[0].Minutiae) != len(tp.Views[0].Minutiae) {
		t.Fatalf("read back as %v, product %x, %d minutiae", back.Format, back.Product, len(back.Views[0].Minutiae))
	}
	for i, m := range back.Views[0].Minutiae {
		o := tp.Views[0].Minutiae[i]
		d := math.Abs(math.Remainder(m.Angle-o.Angle, 2*math.Pi))
		if m.X != o.X || m.Y != o.Y || m.Kind != o.Kind || d > math.Pi/180+1e-9 {
			t.Fatalf("minutia %d: %+v, want %+v", i, m, o)
		}
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, b) {
		t.Fatal("an ANSI record written back differs")
	}
	if _, err := finger.ParseFormat(b, finger.ISO); err == nil {
		t.Error("an ANSI record read as ISO: want an error")
	}
}

// FuzzParse: templates come from other agencies; any bytes are refused
// with an error or give a template that is written back and read again
// unchanged, and that the matcher accepts.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"fvc2002-iso/DB1_B/101_1.iso", "fvc2002-iso/DB3_B/105_2.iso", "sourceafis/iso-probe.dat", "invalid/101_1_truncate_1_byte.iso"} {
		if b, err := os.ReadFile(shared + p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tp, err := finger.Parse(b)
		if err != nil {
			return
		}
		out, err := tp.Marshal()
		if err != nil {
			t.Fatalf("a parsed template does not write: %v", err)
		}
		back, err := finger.ParseFormat(out, tp.Format)
		if err != nil {
			t.Fatalf("a written template does not parse: %v", err)
		}
		again, _ := back.Marshal()
		if !bytes.Equal(again, out) {
			t.Fatal("the template changed in a round trip")
		}
		for i := range tp.Views {
			v := finger.Prepare(tp, &tp.Views[i]).Index()
			if s := finger.Compare(v, v, nil); !(s >= 0 && s <= 1) {
				t.Fatalf("a view against itself scores %v", s)
			}
		}
	})
}
