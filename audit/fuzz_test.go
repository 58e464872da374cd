package audit

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/fedmatch/fedmatch"
)

// FuzzScan feeds arbitrary bytes to the verifier 'fedmatch audit verify'
// runs on a file it is handed: it must never panic, must fail with a typed
// error, and must never accept a checkpoint signed by another key.
func FuzzScan(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	keys := func(string) (ed25519.PublicKey, error) { return pub, nil }
	f.Add([]byte(`{"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","entry":{"event":"match","query_id":"q","requester":"gb-home-office","outcome":"hit"},"hash":"x"}` + "\n"))
	f.Add([]byte(`{"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","checkpoint":{"by":"us-dhs","covers":0,"head":"0000000000000000000000000000000000000000000000000000000000000000","entries":0,"sig":"AAAA"},"hash":"x"}` + "\n"))
	f.Add([]byte("{\n}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := scan(bytes.NewReader(b), keys, func(*fedmatch.AuditEntry) {})
		if err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if s.signed > 0 {
			t.Fatalf("accepted %d checkpoints signed by a key nobody holds", s.signed)
		}
	})
}
