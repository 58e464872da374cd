package wire_test

import (
	"testing"

	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/wire"
)

func BenchmarkSigner_SignQuery(b *testing.B) {
	f := testfed.MustFed(b, testfed.Roster())
	s := f.MustSigner(b, testfed.GB)
	q := request(f)
	for b.Loop() {
		if _, _, err := s.SignQuery(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifier_VerifyQuery(b *testing.B) {
	f := testfed.MustFed(b, testfed.Roster())
	tok := []byte(MustSign(b, f, nil))
	for b.Loop() {
		// A fresh cache each time: the same token would be a replay.
		v := wire.NewVerifier(f.Trust)
		if _, err := v.VerifyQuery(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSigner_OpenQuery is a target node opening a query's sealed
// content: one HPKE open (ML-KEM-768 + X25519) and one AES-GCM open.
func BenchmarkSigner_OpenQuery(b *testing.B) {
	f := testfed.MustFed(b, testfed.Roster())
	c, err := wire.NewVerifier(f.Trust).VerifyQuery([]byte(MustSign(b, f, nil)))
	if err != nil {
		b.Fatal(err)
	}
	us := f.MustSigner(b, testfed.US)
	for b.Loop() {
		if err := us.OpenQuery(c); err != nil {
			b.Fatal(err)
		}
	}
}
