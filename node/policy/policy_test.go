package policy_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
)

// MustLoad loads agency's policy from fsys.
func MustLoad(tb testing.TB, fsys fs.FS, agency fedmatch.AgencyID) *policy.Engine {
	tb.Helper()
	e, err := policy.Load(context.Background(), fsys, agency, nil)
	if err != nil {
		tb.Fatalf("Load(%s): %v", agency, err)
	}
	return e
}

func query(requester fedmatch.AgencyID, purpose fedmatch.Purpose) *fedmatch.QueryInput {
	return &fedmatch.QueryInput{
		Request:   fedmatch.RequestInfo{Requester: requester, Purpose: purpose, Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)},
		Requester: fedmatch.Member{ID: requester, Answers: fedmatch.Purposes()},
		Agreement: fedmatch.Agreement{ID: "a", Purposes: []fedmatch.Purpose{fedmatch.BorderAdmission, fedmatch.VisaApplication}},
	}
}

func TestEngine_Decide(t *testing.T) {
	e := MustLoad(t, policies.FS, "gb-home-office")
	ctx := context.Background()
	d, err := e.Decide(ctx, query("us-dhs", fedmatch.VisaApplication))
	if err != nil || !d.Allow || len(d.Categories) == 0 || d.MinScore == 0 {
		t.Fatalf("Decide = %+v, %v", d, err)
	}
	d, err = e.Decide(ctx, query("us-dhs", fedmatch.CounterTerrorism))
	if err != nil || d.Allow || d.Reason != "not_in_agreement" {
		t.Fatalf("Decide outside agreement = %+v, %v", d, err)
	}
	in := &fedmatch.DiscloseInput{Request: query("us-dhs", fedmatch.VisaApplication).Request,
		Record: fedmatch.RecordMeta{Category: fedmatch.ImmigrationOffender, CollectedAt: "2025-01-01", RetentionUntil: "2030-01-01", Flags: []string{}},
		Match:  fedmatch.MatchInfo{Kind: fedmatch.KindBiographic, Score: 0.97}}
	dis, err := e.Disclose(ctx, in)
	if err != nil || !dis.Allow || !strings.Contains(strings.Join(dis.Fields, ","), "surname") {
		t.Fatalf("Disclose = %+v, %v", dis, err)
	}
	in.Record.Flags = []string{fedmatch.FlagJuvenile}
	if dis, err := e.Disclose(ctx, in); err != nil || dis.Allow {
		t.Fatalf("juvenile Disclose = %+v, %v", dis, err)
	}
}

func TestEngine_EveryShippedAgencyLoads(t *testing.T) {
	agencies, err := policy.Agencies(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agencies {
		MustLoad(t, policies.FS, a)
	}
	if len(agencies) < 3 {
		t.Fatalf("%d agency policies; want at least 3", len(agencies))
	}
}

const lib = "package fedmatch.lib\n\nx := 1\n"

func TestLoad_Refuses(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"syntax error", "package fedmatch.agencies.zz_test_agency\n\ndecision := {\n", "zz-test-agency/policy.rego:4"},
		{"no disclose rule", "package fedmatch.agencies.zz_test_agency\n\ndecision := {}\n", "no rule"},
		{"unsafe variable", "package fedmatch.agencies.zz_test_agency\n\ndecision if x\n\ndisclose := {}\n", "policy.rego:3"},
		{"wrong package", "package fedmatch.agencies.other\n\ndecision := {}\n\ndisclose := {}\n", "no rule"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"lib/lib.rego": {Data: []byte(lib)}, "zz-test-agency/policy.rego": {Data: []byte(tc.src)}}
			_, err := policy.Load(context.Background(), fsys, "zz-test-agency", nil)
			if !fedmatch.IsCode(err, fedmatch.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want invalid naming %q", err, tc.want)
			}
		})
	}
	t.Run("missing folder", func(t *testing.T) {
		if _, err := policy.Load(context.Background(), policies.FS, "zz-none", nil); !fedmatch.IsCode(err, fedmatch.Invalid) {
			t.Fatalf("Load: %v, want invalid", err)
		}
	})
}

func agencyFS(src string) fstest.MapFS {
	return fstest.MapFS{"lib/lib.rego": {Data: []byte(lib)}, "zz-a/policy.rego": {Data: []byte("package fedmatch.agencies.zz_a\n\n" + src)}}
}

func TestEngine_BadOutputRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		src  string
		call func(e *policy.Engine) error
	}{
		{"decision wrong shape", "decision := {\"allow\": \"yes\"}\n\ndisclose := {}\n", func(e *policy.Engine) error {
			_, err := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
			return err
		}},
		{"decision undefined", "decision if false\n\ndisclose := {}\n", func(e *policy.Engine) error {
			_, err := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
			return err
		}},
		{"unknown category", "decision := {\"allow\": true, \"categories\": [\"pickpocket\"]}\n\ndisclose := {}\n", func(e *policy.Engine) error {
			_, err := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
			return err
		}},
		{"undisclosable field", "decision := {}\n\ndisclose := {\"allow\": true, \"fields\": [\"id\"]}\n", func(e *policy.Engine) error {
			_, err := e.Disclose(ctx, &fedmatch.DiscloseInput{})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := MustLoad(t, agencyFS(tc.src), "zz-a")
			if err := tc.call(e); !fedmatch.IsCode(err, fedmatch.Internal) {
				t.Fatalf("got %v, want internal", err)
			}
		})
	}
}

func TestEngine_Reload(t *testing.T) {
	ctx := context.Background()
	e := MustLoad(t, agencyFS("decision := {\"allow\": false, \"reason\": \"v1\"}\n\ndisclose := {}\n"), "zz-a")
	rev := e.Revision()
	if err := e.Reload(ctx, agencyFS("decision := {\n")); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Fatalf("broken Reload: %v", err)
	}
	if e.Revision() != rev {
		t.Fatal("a broken reload replaced the serving policy")
	}
	if err := e.Reload(ctx, agencyFS("decision := {\"allow\": false, \"reason\": \"v2\"}\n\ndisclose := {}\n")); err != nil {
		t.Fatal(err)
	}
	d, _ := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
	if e.Revision() == rev || d.Reason != "v2" {
		t.Fatalf("after reload: revision %s, reason %q", e.Revision(), d.Reason)
	}
}

func BenchmarkEngine_Decide(b *testing.B) {
	e := MustLoad(b, policies.FS, "gb-home-office")
	in := query("us-dhs", fedmatch.VisaApplication)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Decide(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEngine_Watch(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) {
		t.Helper()
		for p, f := range agencyFS(src) {
			full := filepath.Join(dir, p)
			if old, err := os.ReadFile(full); err == nil && bytes.Equal(old, f.Data) {
				continue // as an editor would: only the file changed is saved
			}
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.WriteFile(full, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("decision := {\"allow\": false, \"reason\": \"v1\"}\n\ndisclose := {}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fsys := os.DirFS(dir)
	e := MustLoad(t, fsys, "zz-a")
	go e.Watch(ctx, policy.DirSource(fsys), 10*time.Millisecond)
	reason := func() string {
		d, _ := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
		return d.Reason
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	v1 := e.Status().Revision
	write("decision := {\"allow\": false, \"reason\": \"v2\"}\n\ndisclose := {}\n")
	waitFor("v2 to serve", func() bool { return reason() == "v2" })
	st := e.Status()
	if st.Revision == v1 || st.Revision != e.Revision() || st.LastError != "" {
		t.Fatalf("status after a good edit = %+v", st)
	}
	write("decision := {\n")
	waitFor("the broken edit to be reported", func() bool { return e.Status().LastError != "" })
	if reason() != "v2" || e.Revision() != st.Revision {
		t.Fatal("a broken edit replaced the serving policy")
	}
	if !strings.Contains(e.Status().LastError, "policy.rego") {
		t.Fatalf("error does not name the file: %s", e.Status().LastError)
	}
	write("decision := {\"allow\": false, \"reason\": \"v2\"}\n\ndisclose := {}\n") // reverted
	waitFor("the revert to clear the error", func() bool { return e.Status().LastError == "" })
}

// A source caught half way through a write is not applied, nor reported
// as broken, unless the next poll reads it the same.
func TestEngine_Watch_settles(t *testing.T) {
	good := agencyFS("decision := {\"allow\": false, \"reason\": \"v2\"}\n\ndisclose := {}\n")
	half := agencyFS("decision := {\"allow\": false, \"reason\": \"v2\"}\n\ndisclose := {}\n")
	for p, f := range half {
		if strings.HasPrefix(p, "lib/") {
			f.Data = nil // truncated by an in-place write
		}
	}
	e := MustLoad(t, agencyFS("decision := {\"allow\": false, \"reason\": \"v1\"}\n\ndisclose := {}\n"), "zz-a")
	var polls atomic.Int64
	src := func() (fs.FS, error) {
		if polls.Add(1) == 1 {
			return half, nil
		}
		return good, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Watch(ctx, src, time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, _ := e.Decide(ctx, query("x", fedmatch.BorderAdmission))
		if d.Reason == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for v2 to serve")
		}
		time.Sleep(time.Millisecond)
	}
	if st := e.Status(); st.LastError != "" || st.LastErrorAt != (time.Time{}) {
		t.Fatalf("a half-written source was reported: %+v", st)
	}
	if polls.Load() < 3 {
		t.Fatalf("v2 served after %d polls, before it had settled", polls.Load())
	}
}

// BenchmarkPolicy_PerQuery is the policy cost of one query with five
// candidate hits under the shipped UK Home Office policy: the query-level
// decision, then the record-level disclosure for each hit.
func BenchmarkPolicy_PerQuery(b *testing.B) {
	e := MustLoad(b, policies.FS, "gb-home-office")
	ctx := context.Background()
	q := query("us-dhs", fedmatch.VisaApplication)
	q.Request.ProbeKinds = []string{fedmatch.KindBiographic}
	d := &fedmatch.DiscloseInput{Request: q.Request, Requester: q.Requester,
		Record: fedmatch.RecordMeta{Category: fedmatch.ImmigrationOffender, CollectedAt: "2025-01-01", RetentionUntil: "2030-01-01", Flags: []string{}},
		Match:  fedmatch.MatchInfo{Kind: fedmatch.KindBiographic, Score: 0.95}}
	for b.Loop() {
		p := e.Current()
		if dec, err := p.Decide(ctx, q); err != nil || !dec.Allow {
			b.Fatal(dec, err)
		}
		for range 5 {
			if dis, err := p.Disclose(ctx, d); err != nil || !dis.Allow {
				b.Fatal(dis, err)
			}
		}
	}
}

func BenchmarkEngine_Disclose(b *testing.B) {
	e := MustLoad(b, policies.FS, "gb-home-office")
	q := query("us-dhs", fedmatch.VisaApplication)
	d := &fedmatch.DiscloseInput{Request: q.Request, Requester: q.Requester,
		Record: fedmatch.RecordMeta{Category: fedmatch.ImmigrationOffender, CollectedAt: "2025-01-01", RetentionUntil: "2030-01-01", Flags: []string{}},
		Match:  fedmatch.MatchInfo{Kind: fedmatch.KindBiographic, Score: 0.95}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Disclose(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}
