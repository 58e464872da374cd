package mrz_test

import (
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match/mrz"
)

// FuzzParse feeds arbitrary text to the MRZ parser (officers paste it, OCR
// produces it): it must never panic, must fail with a typed error, and
// what it accepts must carry a document number and valid dates.
func FuzzParse(f *testing.F) {
	f.Add("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", false)
	f.Add("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<", true)
	f.Add("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6", true)
	f.Add("IDBEL000590240<6013<<<<<<<<<<<\n8512017F1311048BEL851201002007\nREINARTZ<<ULRIKE<KATIA<E<<<<<<", false)
	f.Fuzz(func(t *testing.T, s string, lenient bool) {
		m, err := mrz.Parse(s, mrz.Options{Lenient: lenient})
		if err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(m.DateOfBirth) != 6 || len(m.DateOfExpiry) != 6 || m.DocumentNumber == "" {
			t.Fatalf("accepted without a document number or dates: %+v", m)
		}
		p := m.Probe(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
		if err := p.DateOfBirth.Validate(); err != nil {
			t.Fatalf("accepted an invalid date: %+v: %v", m, err)
		}
	})
}
