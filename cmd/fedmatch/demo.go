package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/wire"
)

// The demo federation.
const (
	gb = fedmatch.AgencyID("gb-home-office")
	us = fedmatch.AgencyID("us-dhs")
	de = fedmatch.AgencyID("de-bka")
	ca = fedmatch.AgencyID("ca-cbsa") // a member whose node is down
)

func demoRoster() fedmatch.Roster {
	return fedmatch.Roster{
		Federation: "demo",
		Members: []fedmatch.Member{
			{ID: gb, Name: "UK Home Office", Country: "GBR", Answers: []fedmatch.Purpose{fedmatch.BorderAdmission,
				fedmatch.VisaApplication, fedmatch.AsylumDetermination, fedmatch.ImmigrationEnforcement}},
			// DHS does not answer asylum determinations automatically, so
			// under reciprocity it may not ask for them either.
			{ID: us, Name: "US Department of Homeland Security", Country: "USA", Answers: []fedmatch.Purpose{fedmatch.BorderAdmission,
				fedmatch.VisaApplication, fedmatch.ImmigrationEnforcement}},
			{ID: de, Name: "Bundeskriminalamt", Country: "DEU", Answers: []fedmatch.Purpose{fedmatch.BorderAdmission, fedmatch.VisaApplication}},
			{ID: ca, Name: "Canada Border Services Agency", Country: "CAN", Answers: []fedmatch.Purpose{fedmatch.BorderAdmission}},
		},
		Agreements: []fedmatch.Agreement{
			{ID: "gb-us-2026", Parties: []fedmatch.AgencyID{gb, us}, Purposes: []fedmatch.Purpose{
				fedmatch.BorderAdmission, fedmatch.VisaApplication, fedmatch.AsylumDetermination, fedmatch.ImmigrationEnforcement}},
			{ID: "prum-border", Parties: []fedmatch.AgencyID{gb, us, de}, Purposes: []fedmatch.Purpose{
				fedmatch.BorderAdmission, fedmatch.VisaApplication}},
			{ID: "five-eyes-border", Parties: []fedmatch.AgencyID{gb, us, ca}, Purposes: []fedmatch.Purpose{fedmatch.BorderAdmission}},
		},
	}
}

// scripted returns the people the scripted queries look for, as records
// per agency, with dates relative to now so the demo never goes stale.
func scripted(now time.Time) map[fedmatch.AgencyID][]*fedmatch.Record {
	day := func(t time.Time) fedmatch.Date { return fedmatch.Date(t.Format(time.DateOnly)) }
	ago := func(y, m int) time.Time { return now.AddDate(-y, -m, 0) }
	okafor := func(id string, cat fedmatch.Category) *fedmatch.Record {
		return &fedmatch.Record{ID: id, Category: cat, CollectedAt: day(ago(1, 0)), RetentionUntil: day(now.AddDate(5, 0, 0)),
			Surname: "Okafor", GivenNames: "Chidi Emeka", DateOfBirth: "1984-02-29", Sex: "M", Nationalities: []string{"NGA"},
			PlaceOfBirth: "Enugu", Address: "(withheld in demo)",
			Documents: []fedmatch.Document{{Type: "passport", Number: "A07351942", IssuingState: "NGA", Expiry: "2031-05-01"}}}
	}
	return map[fedmatch.AgencyID][]*fedmatch.Record{
		us: {
			okafor("US-DEMO-1", fedmatch.ImmigrationOffender),
			{ID: "US-DEMO-2", Category: fedmatch.ImmigrationOffender, CollectedAt: day(ago(0, 6)), RetentionUntil: day(now.AddDate(6, 0, 0)),
				Flags: []string{fedmatch.FlagJuvenile}, Surname: "Hoffmann", GivenNames: "Lena", DateOfBirth: "2010-03-03", Sex: "F"},
		},
		de: {
			okafor("DE-DEMO-1", fedmatch.TravellerOfInterest),
			// Kept as the Russian consular record wrote it, in Cyrillic.
			{ID: "DE-DEMO-2", Category: fedmatch.TravellerOfInterest, CollectedAt: day(ago(0, 3)), RetentionUntil: day(now.AddDate(4, 0, 0)),
				Surname: "Кузнецов", GivenNames: "Сергей Петрович", DateOfBirth: "1975-03-08", Sex: "M", Nationalities: []string{"RUS"}},
		},
		gb: {
			{ID: "GB-DEMO-1", Category: fedmatch.FalseDocument, CollectedAt: day(ago(2, 0)), RetentionUntil: day(now.AddDate(8, 0, 0)),
				Surname: "Petrenko", GivenNames: "Ivan", DateOfBirth: "1979-11-02",
				Documents: []fedmatch.Document{{Type: "passport", Number: "FK1234567", IssuingState: "UKR", Status: "fraudulent"}}},
			// National-security arrest biometrics, collected 4 years 6 months ago: past the 3-year limit
			// though the record states a later date, charged or not.
			{ID: "GB-DEMO-2", Category: fedmatch.ArrestBiometrics, CollectedAt: day(ago(4, 6)), RetentionUntil: day(now.AddDate(3, 0, 0)),
				Flags: []string{fedmatch.FlagNationalSecurity, fedmatch.FlagCharged}, Surname: "Haddad", GivenNames: "Samir", DateOfBirth: "1990-07-14"},
			// The same, but extended once by 2 years with a recorded reason: still within 5 years.
			{ID: "GB-DEMO-3", Category: fedmatch.ArrestBiometrics, CollectedAt: day(ago(4, 6)), RetentionUntil: day(ago(1, 6)),
				ExtendedUntil: day(now.AddDate(0, 6, 0)), ExtensionReason: "national security determination NSD-2025-118",
				Flags: []string{fedmatch.FlagNationalSecurity, fedmatch.FlagNoFurtherAction}, Surname: "Mansour", GivenNames: "Karim", DateOfBirth: "1988-01-09"},
		},
	}
}

// scenario is one scripted query and the outcome it must have.
type scenario struct {
	title   string
	from    fedmatch.AgencyID
	q       wire.QueryRequest
	want    map[fedmatch.AgencyID]fedmatch.Status
	special string // "tamper" or "replay": the token is altered or resent
	wantErr fedmatch.Code
}

func scenarios() []scenario {
	okafor := fedmatch.Probe{Surname: "OKAFOR", GivenNames: "Chidi", DateOfBirth: "1984-02-29", Sex: "M"}
	q := func(p fedmatch.Purpose, basis string, probe fedmatch.Probe, targets ...fedmatch.AgencyID) wire.QueryRequest {
		return wire.QueryRequest{Purpose: p, Basis: basis, Targets: targets, Probe: probe, Case: "DEMO-CASE-1"}
	}
	st := func(kv ...any) map[fedmatch.AgencyID]fedmatch.Status {
		m := map[fedmatch.AgencyID]fedmatch.Status{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(fedmatch.AgencyID)] = kv[i+1].(fedmatch.Status)
		}
		return m
	}
	return []scenario{
		{title: "visa check: US discloses identity, DE answers hit/no-hit only", from: gb,
			q: q(fedmatch.VisaApplication, "prum-border", okafor, us, de), want: st(us, fedmatch.StatusHit, de, fedmatch.StatusHit)},
		{title: "border check on a passport: reference and category only", from: us,
			q:    q(fedmatch.BorderAdmission, "gb-us-2026", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "FK 123 4567", IssuingState: "UKR"}}}, gb),
			want: st(gb, fedmatch.StatusHit)},
		{title: "step two: the US asks for identity on that hit, with a case reference", from: us, special: "disclose",
			q:    q(fedmatch.BorderAdmission, "gb-us-2026", fedmatch.Probe{Documents: []fedmatch.Document{{Number: "FK 123 4567", IssuingState: "UKR"}}}, gb),
			want: st(gb, fedmatch.StatusHit)},
		{title: "nobody known", from: gb,
			q:    q(fedmatch.VisaApplication, "prum-border", fedmatch.Probe{Surname: "Lindqvist", GivenNames: "Maja", DateOfBirth: "1996-04-18"}, us, de),
			want: st(us, fedmatch.StatusNoHit, de, fedmatch.StatusNoHit)},
		{title: "a record kept in Cyrillic, a probe typed from an MRZ", from: gb,
			q:    q(fedmatch.VisaApplication, "prum-border", fedmatch.Probe{Surname: "KUZNETSOV", GivenNames: "SERGEI", DateOfBirth: "1975-03-08", Sex: "M"}, de),
			want: st(de, fedmatch.StatusHit)},
		{title: "purpose outside every agreement (refused by the broker)", from: gb,
			q: q(fedmatch.CounterTerrorism, "gb-us-2026", okafor, us, de), want: st(us, fedmatch.StatusRefused, de, fedmatch.StatusRefused)},
		{title: "agreement allows it, the node's own policy does not", from: gb,
			q: q(fedmatch.AsylumDetermination, "gb-us-2026", okafor, us), want: st(us, fedmatch.StatusRefused)},
		{title: "reciprocity: the US does not answer asylum checks, so may not ask", from: us,
			q: q(fedmatch.AsylumDetermination, "gb-us-2026", okafor, gb), want: st(gb, fedmatch.StatusRefused)},
		{title: "juvenile record: indistinguishable from no record", from: gb,
			q:    q(fedmatch.VisaApplication, "prum-border", fedmatch.Probe{Surname: "Hoffmann", GivenNames: "Lena", DateOfBirth: "2010-03-03"}, us),
			want: st(us, fedmatch.StatusNoHit)},
		{title: "arrest biometrics past 3 years, charged: never matched", from: us,
			q:    q(fedmatch.BorderAdmission, "gb-us-2026", fedmatch.Probe{Surname: "Haddad", GivenNames: "Samir", DateOfBirth: "1990-07-14"}, gb),
			want: st(gb, fedmatch.StatusNoHit)},
		{title: "arrest biometrics extended once by 2 years: matched", from: us,
			q:    q(fedmatch.BorderAdmission, "gb-us-2026", fedmatch.Probe{Surname: "Mansour", GivenNames: "Karim", DateOfBirth: "1988-01-09"}, gb),
			want: st(gb, fedmatch.StatusHit)},
		{title: "step two on arrest biometrics: held for an officer's review", from: us, special: "disclose",
			q:    q(fedmatch.BorderAdmission, "gb-us-2026", fedmatch.Probe{Surname: "Mansour", GivenNames: "Karim", DateOfBirth: "1988-01-09"}, gb),
			want: st(gb, fedmatch.StatusPendingReview)},
		{title: "partner's node is down", from: gb,
			q: q(fedmatch.BorderAdmission, "five-eyes-border", okafor, us, ca), want: st(us, fedmatch.StatusHit, ca, fedmatch.StatusUnavailable)},
		{title: "tampered query (purpose changed after signing)", from: gb, special: "tamper",
			q: q(fedmatch.VisaApplication, "prum-border", okafor, us), wantErr: fedmatch.BadSignature},
		{title: "replayed query (same token sent twice)", from: gb, special: "replay",
			q: q(fedmatch.VisaApplication, "prum-border", okafor, us), wantErr: fedmatch.Replayed},
	}
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "demo", "demo [--dir DIR] [--serve] [--records N]", `
Runs a whole federation in one process with no set-up: an embedded NATS
server on loopback, a throwaway federation (UK Home Office, US DHS,
Germany's BKA, and Canada's CBSA whose node is down), a few thousand
synthetic records per node with some people held by several agencies, a
broker and three nodes. It then runs scripted queries, prints what each
node answered, and exits non-zero if any outcome is not the expected one.

With --serve it keeps running and prints how to query it.
With --dir the federation's state (certificates, roster, records, audit
logs) is kept in DIR, which must be new or empty, for inspection.`)
	dir := fs.String("dir", "", "keep the federation's state in DIR (default: a temporary folder, removed)")
	serve := fs.Bool("serve", false, "keep running after the scripted queries")
	records := fs.Int("records", 3000, "synthetic records per node")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *records < 10 || *records > 2_000_000 {
		return usageErr("--records must be 10 to 2000000")
	}
	root := *dir
	if root == "" {
		tmp, err := os.MkdirTemp("", "fedmatch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	} else if ents, err := os.ReadDir(root); err == nil && len(ents) > 0 {
		return usageErr("demo --dir %s: folder is not empty; give a new or empty one", root)
	}
	if e.getenv("FEDMATCH_LOG") == "" {
		// The scripted refusals would log warnings; the table says it all.
		e.log = newLogger(e.stderr, "error")
	}
	start := time.Now()
	out := e.stdout
	fedDir := filepath.Join(root, "federation")
	if err := initFederation(fedDir, certs.InitOptions{Roster: demoRoster()}, ""); err != nil {
		return err
	}
	// Records: synthetic people, some held by several agencies, plus the scripted ones.
	live := []fedmatch.AgencyID{gb, us, de}
	now := time.Now()
	recs, _ := synth.Federation(*seed, live, *records, now.Year())
	for a, rs := range scripted(now) {
		recs[a] = append(recs[a], rs...)
	}
	nodeDir := func(a fedmatch.AgencyID) string { return filepath.Join(root, "nodes", string(a)) }
	for _, a := range live {
		if err := importRecords(nodeDir(a), recs[a]); err != nil {
			return err
		}
	}
	lf, err := startLocalFed(ctx, localOptions{FedDir: fedDir, Nodes: live, DataDir: nodeDir,
		BrokerAudit: filepath.Join(root, "broker-audit.jsonl"), Timeout: 2 * time.Second, Log: e.log})
	if err != nil {
		return err
	}
	defer lf.Close()
	url := lf.URL
	fmt.Fprintf(out, "embedded NATS server on %s (TLS, an account per agency); federation %q in %s\n", url, "demo", fedDir)
	for _, a := range live {
		fmt.Fprintf(out, "node %-15s %6d records\n", a, lf.Nodes[a].Store.Len())
	}
	fmt.Fprintf(out, "broker serving %s; started in %s\n\n", bus.QuerySubject, time.Since(start).Round(time.Millisecond))

	failed, err := runScenarios(ctx, out, fedDir, lf.Conns)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%d scenarios, %d as expected, %d not; audit logs under %s\n", len(scenarios()), len(scenarios())-failed, failed, root)
	if failed > 0 {
		return fmt.Errorf("%d demo scenarios did not turn out as expected", failed)
	}
	if *serve {
		fmt.Fprintf(out, `
Serving until interrupted (Ctrl-C). In another terminal, for example:

  fedmatch query --nats %s --fed %s \
    --agency gb-home-office --targets us-dhs,de-bka --purpose visa-application --basis prum-border \
    --surname Okafor --given Chidi --dob 1984-02-29

`, url, fedDir)
		if *dir == "" {
			fmt.Fprintln(out, "(the federation folder is temporary and removed on exit; use --dir to keep it)")
		}
		<-ctx.Done()
	}
	return nil
}

// requestsLog is where requester agency's audit log lives in a demo or
// test folder root.
func requestsLog(root string, agency fedmatch.AgencyID) string {
	return filepath.Join(root, "requests", string(agency)+"-audit.jsonl")
}

// importRecords stores recs in a node data directory, as 'node import' does.
func importRecords(dir string, recs []*fedmatch.Record) error {
	st, err := openStore(dir, match.New(match.DefaultConfig(), nil), nil)
	if err != nil {
		return err
	}
	_, err = st.Add(recs)
	return err
}

// runScenarios runs the scripted queries, prints a table, and returns how
// many did not turn out as expected.
func runScenarios(ctx context.Context, out io.Writer, fedDir string, conns *agencyConns) (failed int, err error) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSCENARIO\tQUERY\tNODE\tSTATUS\tAS EXPECTED\tDETAIL")
	reqs := map[fedmatch.AgencyID]*node.Requester{}
	for i, sc := range scenarios() {
		r := reqs[sc.from]
		if r == nil {
			nc, err := conns.get(sc.from)
			if err != nil {
				return 0, err
			}
			var closeLog func() error
			if r, closeLog, err = newRequester(fedDir, sc.from, nc, requestsLog(filepath.Dir(fedDir), sc.from)); err != nil {
				return 0, err
			}
			defer closeLog()
			reqs[sc.from] = r
		}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, qerr := askScenario(qctx, r, sc)
		cancel()
		query := fmt.Sprintf("%s %s", sc.from, sc.q.Purpose)
		if sc.wantErr != 0 || qerr != nil {
			ok := fedmatch.IsCode(qerr, sc.wantErr) && qerr != nil
			failed += mark(tw, i+1, sc.title, query, "broker", "query refused", fmt.Sprintf("%v", fedmatch.ErrorCode(qerr)), ok)
			continue
		}
		for j, nr := range res.Nodes {
			title, q := sc.title, query
			if j > 0 {
				title, q = "", ""
			}
			detail := nr.Reason
			if nr.Answer != nil && len(nr.Answer.Hits) > 0 {
				h := nr.Answer.Hits[0]
				detail = fmt.Sprintf("ref %s… %s %.3f%s %s", h.Ref[:8], h.Kind, h.Score, falseDocument(h), formatFields(h.Fields))
			}
			failed += mark(tw, i+1, title, q, string(nr.Agency), string(nr.Status), detail, sc.want[nr.Agency] == nr.Status)
		}
	}
	return failed, tw.Flush()
}

func mark(w io.Writer, n int, title, query, node, status, detail string, ok bool) int {
	num := ""
	if title != "" {
		num = fmt.Sprint(n)
	}
	res, bad := "yes", 0
	if !ok {
		res, bad = "NO", 1
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", num, title, query, node, status, res, detail)
	return bad
}

// askScenario runs one scenario: a plain query, or one whose token is
// tampered with or sent twice.
func askScenario(ctx context.Context, r *node.Requester, sc scenario) (*fedmatch.Result, error) {
	q := sc.q
	q.Audience = r.Verifier.Keys.Roster().Audience()
	switch sc.special {
	case "tamper":
		tok, claims, err := r.Signer.SignQuery(&q)
		if err != nil {
			return nil, err
		}
		return r.Send(ctx, []byte(tamper(tok)), claims)
	case "disclose":
		res, err := r.Ask(ctx, &q)
		if err != nil {
			return nil, err
		}
		a := res.Nodes[0].Answer
		if a == nil || len(a.Hits) == 0 {
			return nil, fmt.Errorf("step one found no hit to disclose")
		}
		return r.Ask(ctx, &wire.QueryRequest{Audience: q.Audience, Purpose: q.Purpose, Basis: q.Basis, Case: q.Case,
			Targets: q.Targets, Ref: a.Hits[0].Ref})
	case "replay":
		tok, claims, err := r.Signer.SignQuery(&q)
		if err != nil {
			return nil, err
		}
		if _, err := r.Send(ctx, []byte(tok), claims); err != nil {
			return nil, fmt.Errorf("first send: %w", err)
		}
		return r.Send(ctx, []byte(tok), claims)
	}
	return r.Ask(ctx, &q)
}

// tamper changes the purpose inside a signed token, leaving the signature
// as it was: what a broker that wanted a border check to pass for a visa
// check would try. (The probe is sealed; a change to it would not open.)
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		panic(errors.New("demo: token is not base64url"))
	}
	payload = []byte(strings.Replace(string(payload), `"purpose":"visa-application"`, `"purpose":"border-admission"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
