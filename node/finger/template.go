// Package finger reads and writes fingerprint minutiae templates in the
// record formats the field exchanges, ISO/IEC 19794-2:2005 and its American
// sibling ANSI INCITS 378-2004, and matches them one to one and one to many.
//
// Templates arrive from other agencies, so the parser is strict: every
// length and count must agree with the bytes, every field must be within
// its range, and a malformed record is refused with a fedmatch.Malformed
// error naming the field, never half read.
package finger

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/fedmatch/fedmatch"
)

// Format is a minutiae record format.
type Format uint8

// The record formats. Both begin "FMR\x00 20\x00"; they differ in the
// header (ANSI adds a product identifier and has a shorter length field)
// and in the angle unit (ISO 360/256 degrees, ANSI 2 degrees).
const (
	ISO  Format = iota + 1 // ISO/IEC 19794-2:2005
	ANSI                   // ANSI INCITS 378-2004
)

func (f Format) String() string {
	switch f {
	case ISO:
		return "ISO/IEC 19794-2:2005"
	case ANSI:
		return "ANSI INCITS 378-2004"
	}
	return "unknown format"
}

// Kind is a minutia's type.
type Kind uint8

// The minutia kinds, as coded in the records' top two bits.
const (
	Other       Kind = 0
	Ending      Kind = 1 // a ridge ending
	Bifurcation Kind = 2
)

// A Minutia is one ridge ending or bifurcation: its position in pixels
// from the image's top left corner, its direction in radians counter-
// clockwise from the x axis, in [0, 2π), and its quality (0 when not
// reported, else 1 to 100).
type Minutia struct {
	X, Y    int
	Angle   float64
	Kind    Kind
	Quality uint8
}

// A View is one finger's impression: its position code (0 unknown, 1
// right thumb … 10 left little), view number, impression type (0 live-scan
// plain, 1 rolled, 2 and 3 non-live, 8 swipe), quality (0–100) and minutiae.
// Extended is the extended data block as read, kept so a template written
// back is the template read.
type View struct {
	Position   uint8
	Number     uint8
	Impression uint8
	Quality    uint8
	Minutiae   []Minutia
	Extended   []byte
}

// A Template is one finger minutiae record.
type Template struct {
	Format Format
	// Product is ANSI's CBEFF product identifier (owner and type); zero in ISO.
	Product uint32
	// Equipment is the capture equipment field: certification flags in
	// the top four bits, the device type below.
	Equipment uint16
	// Width and Height are the image's size in pixels; ResX and ResY its
	// resolution in pixels per centimetre (197 is 500 dpi).
	Width, Height uint16
	ResX, ResY    uint16
	Views         []View
}

// Limits on what a record may hold: four bytes of length, 255 minutiae
// per view by the count's width; MaxSize bounds what is read at all.
const (
	MaxSize   = 1 << 20
	isoHeader = 24
	viewBytes = 4
	minBytes  = 6
)

var magic = []byte("FMR\x00 20\x00")

func malformed(op, format string, args ...any) error {
	return fedmatch.E(op, fedmatch.Malformed, format, args...)
}

// Parse reads a template, telling ISO from ANSI by which length field
// agrees with the record's size. Trailing zero bytes after the record are
// allowed (some stores pad templates to a fixed size); anything else after
// it is an error. Errors: TooLarge, Malformed.
func Parse(b []byte) (*Template, error) {
	const op = "finger.Parse"
	if len(b) > MaxSize {
		return nil, fedmatch.E(op, fedmatch.TooLarge, "template of %d bytes: the limit is %d", len(b), MaxSize)
	}
	if len(b) >= 12 && string(b[:8]) == string(magic) {
		if n := binary.BigEndian.Uint32(b[8:12]); n >= isoHeader && int(n) <= len(b) && padding(b[n:]) {
			return ParseFormat(b, ISO)
		}
		if t, err := ParseFormat(b, ANSI); err == nil {
			return t, nil
		}
	}
	return ParseFormat(b, ISO) // for its error
}

// padding reports whether b is all zero.
func padding(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 })
}

// ParseFormat reads a template in the given format. Errors: TooLarge,
// Malformed.
func ParseFormat(b []byte, f Format) (*Template, error) {
	const op = "finger.Parse"
	if len(b) > MaxSize {
		return nil, fedmatch.E(op, fedmatch.TooLarge, "template of %d bytes: the limit is %d", len(b), MaxSize)
	}
	r := reader{b: b}
	// 1. The format identifier and version.
	if string(r.bytes(8)) != string(magic) {
		return nil, malformed(op, "not a finger minutiae record: want %q at the start", magic)
	}
	// 2. The record length, which must be the bytes given (bar zero padding).
	var length int
	switch f {
	case ISO:
		length = int(r.u32())
	case ANSI:
		length = int(r.u16())
		if length == 0 {
			length = int(r.u32())
		}
	default:
		return nil, fedmatch.E(op, fedmatch.Invalid, "format %d", f)
	}
	if r.short {
		return nil, malformed(op, "%s record of %d bytes: shorter than its header", f, len(b))
	}
	if length > len(b) {
		return nil, malformed(op, "record length %d but %d bytes given: truncated", length, len(b))
	}
	if !padding(b[length:]) {
		return nil, malformed(op, "record length %d but %d bytes given, not zero padding", length, len(b))
	}
	r.b = b[:length]
	t := &Template{Format: f}
	if f == ANSI {
		t.Product = r.u32()
	}
	// 3. The capture device, the image's size and resolution, the count of views.
	t.Equipment = r.u16()
	t.Width, t.Height = r.u16(), r.u16()
	t.ResX, t.ResY = r.u16(), r.u16()
	views := int(r.u8())
	r.u8() // reserved
	if r.short {
		return nil, malformed(op, "record length %d: shorter than its header", length)
	}
	if t.ResX == 0 || t.ResY == 0 {
		return nil, malformed(op, "resolution %d×%d pixels per cm: want both above zero", t.ResX, t.ResY)
	}
	if views == 0 {
		return nil, malformed(op, "no finger view")
	}
	// 4. Each view: its header, its minutiae, its extended data block.
	for v := range views {
		var w View
		w.Position = r.u8()
		nv := r.u8()
		w.Number, w.Impression = nv>>4, nv&0x0f
		w.Quality = r.u8()
		n := int(r.u8())
		if r.short {
			return nil, malformed(op, "view %d: header truncated", v+1)
		}
		if w.Position > 10 {
			return nil, malformed(op, "view %d: finger position %d: want 0 to 10", v+1, w.Position)
		}
		if w.Quality > 100 {
			return nil, malformed(op, "view %d: quality %d: want 0 to 100", v+1, w.Quality)
		}
		if r.left() < n*minBytes+2 {
			return nil, malformed(op, "view %d: %d minutiae and the extended data length need %d bytes, %d left: truncated", v+1, n, n*minBytes+2, r.left())
		}
		w.Minutiae = make([]Minutia, n)
		for i := range w.Minutiae {
			m, err := readMinutia(&r, t, f)
			if err != nil {
				return nil, malformed(op, "view %d, minutia %d: %w", v+1, i+1, err)
			}
			w.Minutiae[i] = m
		}
		ext := int(r.u16())
		if ext > r.left() {
			return nil, malformed(op, "view %d: extended data of %d bytes, %d left: truncated", v+1, ext, r.left())
		}
		if ext > 0 {
			w.Extended = slices.Clone(r.bytes(ext))
		}
		t.Views = append(t.Views, w)
	}
	// 5. Nothing may be left over.
	if r.left() != 0 {
		return nil, malformed(op, "record length %d: %d bytes after the last view", length, r.left())
	}
	return t, nil
}

// readMinutia reads six bytes: kind and x, reserved bits and y, angle,
// quality.
func readMinutia(r *reader, t *Template, f Format) (Minutia, error) {
	kx, ry, a, q := r.u16(), r.u16(), r.u8(), r.u8()
	m := Minutia{Kind: Kind(kx >> 14), X: int(kx & 0x3fff), Y: int(ry & 0x3fff), Quality: q}
	switch {
	case m.Kind > Bifurcation:
		return m, fmt.Errorf("kind 3 is reserved")
	case t.Width > 0 && m.X >= int(t.Width), t.Height > 0 && m.Y >= int(t.Height):
		return m, fmt.Errorf("at (%d, %d), outside the %d×%d image", m.X, m.Y, t.Width, t.Height)
	case q > 100:
		return m, fmt.Errorf("quality %d: want 0 to 100", q)
	case f == ANSI && a > 179:
		return m, fmt.Errorf("angle %d: want 0 to 179 (units of 2 degrees)", a)
	}
	m.Angle = float64(a) * angleUnit(f)
	return m, nil
}

// angleUnit is one step of the format's angle, in radians.
func angleUnit(f Format) float64 {
	if f == ANSI {
		return 2 * math.Pi / 180
	}
	return 2 * math.Pi / 256
}

// Marshal writes t in its format (ISO when unset). Errors: Invalid, for a
// template the format cannot hold.
func (t *Template) Marshal() ([]byte, error) {
	const op = "finger.Template.Marshal"
	f := t.Format
	if f == 0 {
		f = ISO
	}
	if len(t.Views) == 0 || len(t.Views) > 255 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%d views: want 1 to 255", len(t.Views))
	}
	size := isoHeader
	if f == ANSI {
		size = 26
	}
	for i, v := range t.Views {
		if len(v.Minutiae) > 255 || len(v.Extended) > math.MaxUint16 || v.Position > 10 || v.Quality > 100 || v.Number > 15 || v.Impression > 15 {
			return nil, fedmatch.E(op, fedmatch.Invalid, "view %d: a field out of the format's range", i+1)
		}
		size += viewBytes + len(v.Minutiae)*minBytes + 2 + len(v.Extended)
	}
	if f == ANSI && size > math.MaxUint16 {
		size += 4
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	switch {
	case f == ISO:
		b = binary.BigEndian.AppendUint32(b, uint32(size))
	case size <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(b, uint16(size))
	default:
		b = binary.BigEndian.AppendUint16(b, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(size))
	}
	if f == ANSI {
		b = binary.BigEndian.AppendUint32(b, t.Product)
	}
	for _, x := range []uint16{t.Equipment, t.Width, t.Height, t.ResX, t.ResY} {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	b = append(b, byte(len(t.Views)), 0)
	unit := angleUnit(f)
	steps := int(math.Round(2 * math.Pi / unit))
	for i, v := range t.Views {
		b = append(b, v.Position, v.Number<<4|v.Impression, v.Quality, byte(len(v.Minutiae)))
		for j, m := range v.Minutiae {
			if m.X < 0 || m.X > 0x3fff || m.Y < 0 || m.Y > 0x3fff || m.Kind > Bifurcation || m.Quality > 100 {
				return nil, fedmatch.E(op, fedmatch.Invalid, "view %d, minutia %d: a field out of the format's range", i+1, j+1)
			}
			a := int(math.Round(m.Angle/unit)) % steps
			if a < 0 {
				a += steps
			}
			b = binary.BigEndian.AppendUint16(b, uint16(m.Kind)<<14|uint16(m.X))
			b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
			b = append(b, byte(a), m.Quality)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(v.Extended)))
		b = append(b, v.Extended...)
	}
	return b, nil
}

// reader reads big-endian fields, noting rather than failing on a short
// record so that the checklist above reads straight; callers check short.
type reader struct {
	b     []byte
	off   int
	short bool
}

func (r *reader) bytes(n int) []byte {
	if r.off+n > len(r.b) {
		r.short, r.off = true, len(r.b)
		return nil
	}
	r.off += n
	return r.b[r.off-n : r.off]
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
