// Package testfed mints throwaway federations for tests: a CA, agency keys
// and a roster written into a test's temporary folder.
package testfed

import (
	"crypto/ed25519"
	"crypto/hpke"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/wire"
)

// Agencies used by tests.
const (
	GB = fedmatch.AgencyID("gb-home-office")
	US = fedmatch.AgencyID("us-dhs")
	DE = fedmatch.AgencyID("de-bka")
	XX = fedmatch.AgencyID("xx-outsider") // a member in no agreement
)

// Roster returns the test federation's roster: GB–US share an agreement
// for every purpose but counter-terrorism; GB–DE and US–DE cover border
// admission and visa applications.
func Roster() fedmatch.Roster {
	r := fedmatch.Roster{
		Federation: "test",
		Members: []fedmatch.Member{
			{ID: GB, Name: "UK Home Office", Country: "GBR"},
			{ID: US, Name: "US Department of Homeland Security", Country: "USA"},
			{ID: DE, Name: "Bundeskriminalamt", Country: "DEU"},
			{ID: XX, Name: "Outsider", Country: "XXA"},
		},
		Agreements: []fedmatch.Agreement{
			{ID: "gb-us-2026", Parties: []fedmatch.AgencyID{GB, US}, Purposes: []fedmatch.Purpose{
				fedmatch.BorderAdmission, fedmatch.VisaApplication, fedmatch.AsylumDetermination, fedmatch.ImmigrationEnforcement}},
			{ID: "prum-border", Parties: []fedmatch.AgencyID{GB, US, DE}, Purposes: []fedmatch.Purpose{
				fedmatch.BorderAdmission, fedmatch.VisaApplication}},
		},
	}
	for i := range r.Members {
		r.Members[i].Answers = fedmatch.Purposes()
	}
	return r
}

// Fed is a minted federation.
type Fed struct {
	Dir   string
	Trust *certs.Trust
}

// MustFed writes a federation with roster r into a temporary folder and
// loads it.
func MustFed(tb testing.TB, r fedmatch.Roster) *Fed {
	tb.Helper()
	dir := tb.TempDir()
	if err := certs.Init(dir, certs.InitOptions{Roster: r}); err != nil {
		tb.Fatalf("certs.Init: %v", err)
	}
	t, err := certs.Load(dir, time.Now())
	if err != nil {
		tb.Fatalf("certs.Load: %v", err)
	}
	return &Fed{Dir: dir, Trust: t}
}

// MustKey returns agency id's private signing key.
func (f *Fed) MustKey(tb testing.TB, id fedmatch.AgencyID) ed25519.PrivateKey {
	tb.Helper()
	return must[ed25519.PrivateKey](tb, "LoadKey", id)(certs.LoadKey(f.Dir, id, f.Trust))
}

// MustSealKey returns agency id's private sealing key.
func (f *Fed) MustSealKey(tb testing.TB, id fedmatch.AgencyID) hpke.PrivateKey {
	tb.Helper()
	return must[hpke.PrivateKey](tb, "LoadSealKey", id)(certs.LoadSealKey(f.Dir, id, f.Trust))
}

// must returns a function that fails tb on an error from what(id).
func must[T any](tb testing.TB, what string, id fedmatch.AgencyID) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s(%s): %v", what, id, err)
		}
		return v
	}
}

// MustSigner returns a signer for agency id that seals to the federation's
// members and opens what is sealed to id.
func (f *Fed) MustSigner(tb testing.TB, id fedmatch.AgencyID) *wire.Signer {
	tb.Helper()
	return &wire.Signer{Agency: id, Key: f.MustKey(tb, id), SealKey: f.MustSealKey(tb, id), Keys: f.Trust}
}
