package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/schemas"
)

// inputSchema is the schema of policy input (schemas/input.json) that
// every policy is type-checked against.
func inputSchema() (*ast.SchemaSet, error) {
	b, err := fs.ReadFile(schemas.FS, "input.json")
	if err != nil {
		return nil, err
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("schemas/input.json: %w", err)
	}
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, raw)
	return ss, nil
}

// Agencies lists the agency folders in fsys (every folder but lib).
func Agencies(fsys fs.FS) ([]fedmatch.AgencyID, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fedmatch.E("policy.Agencies", fedmatch.Invalid, "%w", err)
	}
	var out []fedmatch.AgencyID
	for _, de := range ents {
		if de.IsDir() && de.Name() != LibDir && !strings.HasPrefix(de.Name(), ".") {
			out = append(out, fedmatch.AgencyID(de.Name()))
		}
	}
	return out, nil
}

// Check compiles agency's policy as a node would (type-checked against
// schemas/input.json, so a misspelt input.reqest fails here), then
// evaluates both rules over the full table of inputs drawn from roster and
// the vocabularies, so a rule that yields a wrong output shape for some
// input is found before it ships. Errors name file and line. Errors:
// Invalid.
func Check(ctx context.Context, fsys fs.FS, agency fedmatch.AgencyID, roster *fedmatch.Roster, now time.Time) (cells int, err error) {
	const op = "policy.Check"
	srcs, err := Sources(fsys, agency)
	if err != nil {
		return 0, err
	}
	p, c, err := compileWith(ctx, srcs, agency)
	if err != nil {
		return 0, fedmatch.Wrap(op, fedmatch.Invalid, err)
	}
	loc := func(rule string) string {
		if rs := c.GetRules(ast.MustParseRef("data." + Package(agency) + "." + rule)); len(rs) > 0 {
			return rs[0].Location.String()
		}
		return rule
	}
	for _, cl := range Table(roster, agency, now) {
		cells++
		if cl.Query != nil {
			if _, err := p.Decide(ctx, cl.Query); err != nil {
				return cells, fedmatch.E(op, fedmatch.Invalid, "%s: decision for %s: %w", loc("decision"), cl.Key, err)
			}
		} else if _, err := p.Disclose(ctx, cl.Disclose); err != nil {
			return cells, fedmatch.E(op, fedmatch.Invalid, "%s: disclose for %s: %w", loc("disclose"), cl.Key, err)
		}
	}
	return cells, nil
}

// TestReport is what Test found.
type TestReport struct {
	Passed, Failed int
	Failures       []string // "file:line: package.test: reason"
	Coverage       cover.Report
}

// Test runs every *_test.rego in fsys against the policies, as the stock
// `opa test` does, and measures coverage of the policies (not the tests).
// Errors: Invalid (a file does not parse or compile).
func Test(ctx context.Context, fsys fs.FS) (*TestReport, error) {
	const op = "policy.Test"
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(b), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		modules[p] = m
		return nil
	})
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	store := inmem.New()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	defer store.Abort(ctx, txn)
	cov := cover.New()
	ch, err := tester.NewRunner().SetStore(store).SetModules(modules).SetCoverageQueryTracer(cov).RunTests(ctx, txn)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	rep := &TestReport{}
	for r := range ch {
		if r.Fail || r.Error != nil {
			rep.Failed++
			why := "failed"
			if r.Error != nil {
				why = r.Error.Error()
			}
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %s.%s: %s", r.Location, r.Package, r.Name, why))
			continue
		}
		rep.Passed++
	}
	// Coverage of the policies, not of the tests that exercise them.
	rep.Coverage = cov.Report(modules)
	covered, missed := 0, 0
	for f, fr := range rep.Coverage.Files {
		if strings.HasSuffix(f, "_test.rego") {
			delete(rep.Coverage.Files, f)
			continue
		}
		covered, missed = covered+fr.CoveredLines, missed+fr.NotCoveredLines
	}
	rep.Coverage.CoveredLines, rep.Coverage.NotCoveredLines = covered, missed
	if covered+missed > 0 {
		rep.Coverage.Coverage = 100 * float64(covered) / float64(covered+missed)
	}
	return rep, nil
}

// Explain evaluates rule ("decision" or "disclose") of agency's policy on
// input and returns its output and the rules that produced it, each with
// its file and line, in the order they completed.
func Explain(ctx context.Context, fsys fs.FS, agency fedmatch.AgencyID, rule string, input any) (out any, fired []string, err error) {
	const op = "policy.Explain"
	srcs, err := Sources(fsys, agency)
	if err != nil {
		return nil, nil, err
	}
	_, c, err := compileWith(ctx, srcs, agency)
	if err != nil {
		return nil, nil, fedmatch.Wrap(op, fedmatch.Invalid, err)
	}
	buf := topdown.NewBufferTracer()
	rs, err := rego.New(rego.Compiler(c), rego.Query("data."+Package(agency)+"."+rule), rego.Input(input), rego.QueryTracer(buf)).Eval(ctx)
	if err != nil {
		return nil, nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, nil, fedmatch.E(op, fedmatch.Invalid, "%s gave no result", rule)
	}
	seen := map[string]bool{}
	for _, ev := range *buf {
		r, ok := ev.Node.(*ast.Rule)
		if ev.Op != topdown.ExitOp || !ok {
			continue
		}
		s := fmt.Sprintf("%s:%d  %s", r.Location.File, r.Location.Row, firstLine(string(r.Location.Text)))
		if !seen[s] {
			seen[s] = true
			fired = append(fired, s)
		}
	}
	return rs[0].Expressions[0].Value, fired, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// Cell is one input of the table a policy is checked and compared over.
// Exactly one of Query and Disclose is set.
type Cell struct {
	Key      string
	Scope    string   // "agency <- requester purpose"
	Dims     []string // for disclosure: category, flags, record age, match
	Query    *fedmatch.QueryInput
	Disclose *fedmatch.DiscloseInput
}

// Table returns the full table of inputs for agency's policy: every other
// member as requester × every purpose (with the agreement they share that
// covers it, else one that does not) × step (match, and step two with a
// case reference) for the decision; and for disclosure also × category ×
// match kind × record flags × record age × score.
func Table(roster *fedmatch.Roster, agency fedmatch.AgencyID, now time.Time) []Cell {
	day := func(t time.Time) fedmatch.Date { return fedmatch.Date(t.Format(time.DateOnly)) }
	flagSets := [][]string{{}, {fedmatch.FlagJuvenile}, {fedmatch.FlagNoForeignSharing}, {fedmatch.FlagCharged},
		{fedmatch.FlagNationalSecurity, fedmatch.FlagNoFurtherAction}}
	ages := []struct {
		name string
		rec  fedmatch.RecordMeta
	}{
		{"collected 1y ago", fedmatch.RecordMeta{CollectedAt: day(now.AddDate(-1, 0, 0)), RetentionUntil: day(now.AddDate(5, 0, 0))}},
		{"collected 4y ago", fedmatch.RecordMeta{CollectedAt: day(now.AddDate(-4, 0, 0)), RetentionUntil: day(now.AddDate(2, 0, 0))}},
		{"collected 4y ago, extended", fedmatch.RecordMeta{CollectedAt: day(now.AddDate(-4, 0, 0)), RetentionUntil: day(now.AddDate(-1, 0, 0)),
			ExtendedUntil: day(now.AddDate(1, 0, 0)), ExtensionReason: "recorded reason"}},
		{"past retention", fedmatch.RecordMeta{CollectedAt: day(now.AddDate(-2, 0, 0)), RetentionUntil: day(now.AddDate(0, 0, -1))}},
	}
	scores := []float64{0.86, 0.91, 1}
	var cells []Cell
	for _, m := range roster.Members {
		if m.ID == agency {
			continue
		}
		for _, p := range fedmatch.Purposes() {
			for _, step := range []string{"match", "disclose"} {
				ag := agreementFor(roster, m.ID, agency, p)
				req := fedmatch.RequestInfo{ID: "table", Step: step, Requester: m.ID, Purpose: p, Basis: ag.ID,
					ProbeKinds: []string{fedmatch.KindBiographic, fedmatch.KindDocument}, Time: now.UTC().Format(time.RFC3339)}
				kinds := []string{fedmatch.KindBiographic, fedmatch.KindDocument}
				scores := scores
				base := fmt.Sprintf("%s <- %s %s", agency, m.ID, p)
				if step == "disclose" {
					req.Case, req.ProbeKinds = "CASE-1", []string{}
					kinds, scores = []string{fedmatch.KindReference}, []float64{1}
					base += " step two"
				}
				cells = append(cells, Cell{Key: base, Scope: base, Query: &fedmatch.QueryInput{Request: req, Requester: m, Agreement: ag, Node: agency}})
				for _, c := range fedmatch.Categories() {
					for _, kind := range kinds {
						for _, flags := range flagSets {
							for _, age := range ages {
								for _, s := range scores {
									rec := age.rec
									rec.Category, rec.Flags = c, flags
									fl := strings.Join(flags, "+")
									if fl == "" {
										fl = "no flags"
									}
									match := fmt.Sprintf("%s match %.2f", kind, s)
									cells = append(cells, Cell{
										Key:      fmt.Sprintf("%s: %s record, %s, %s, %s", base, c, fl, age.name, match),
										Scope:    base,
										Dims:     []string{string(c), fl, age.name, match},
										Disclose: &fedmatch.DiscloseInput{Request: req, Requester: m, Node: agency, Record: rec, Match: fedmatch.MatchInfo{Kind: kind, Score: s}},
									})
								}
							}
						}
					}
				}
			}
		}
	}
	return cells
}

// agreementFor is the agreement between from and to covering purpose; else
// any agreement between them; else an empty one.
func agreementFor(r *fedmatch.Roster, from, to fedmatch.AgencyID, p fedmatch.Purpose) fedmatch.Agreement {
	var any *fedmatch.Agreement
	for i := range r.Agreements {
		a := &r.Agreements[i]
		if a.Covers(from, to, p) {
			return *a
		}
		if slices.Contains(a.Parties, from) && slices.Contains(a.Parties, to) && any == nil {
			any = a
		}
	}
	if any != nil {
		return *any
	}
	return fedmatch.Agreement{ID: "(none)", Parties: []fedmatch.AgencyID{from, to}, Purposes: []fedmatch.Purpose{}}
}

// Change is one cell whose decision differs between two policy versions.
type Change struct {
	Key    string
	Scope  string
	Dims   []string
	Old    string
	New    string
	Widens bool // the new version allows or discloses more
}

// ChangeGroup is the cells of one scope that changed the same way.
type ChangeGroup struct {
	Scope    string
	Rule     string // "decision" or "disclose"
	Old, New string
	Widens   bool
	Cells    int
	Values   [][]string // per dimension, the values the cells span
}

// DimNames name the dimensions of disclosure cells, in Cell.Dims order.
var DimNames = []string{"categories", "flags", "records", "matches"}

// Group folds changes that share scope, rule and old and new outcome into
// one group each, in first-seen order, so an author reads one line per
// kind of change rather than one per cell.
func Group(changes []Change) []ChangeGroup {
	var out []ChangeGroup
	idx := map[string]int{}
	for _, c := range changes {
		rule := "decision"
		if len(c.Dims) > 0 {
			rule = "disclose"
		}
		k := c.Scope + "\x00" + rule + "\x00" + c.Old + "\x00" + c.New
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, ChangeGroup{Scope: c.Scope, Rule: rule, Old: c.Old, New: c.New, Widens: c.Widens, Values: make([][]string, len(c.Dims))})
		}
		g := &out[i]
		g.Cells++
		for d, v := range c.Dims {
			if !slices.Contains(g.Values[d], v) {
				g.Values[d] = append(g.Values[d], v)
			}
		}
	}
	return out
}

// Diff evaluates two versions of the policies (folders laid out like
// policies/) over the full table for each agency and returns the cells
// whose outcome changes, in a stable order. Errors: Invalid.
func Diff(ctx context.Context, oldFS, newFS fs.FS, roster *fedmatch.Roster, now time.Time) ([]Change, error) {
	agencies, err := Agencies(newFS)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, a := range agencies {
		if roster.Member(a) == nil {
			continue // a policy for an agency outside this roster: no cells
		}
		newP, err := load(ctx, newFS, a)
		if err != nil {
			return nil, fmt.Errorf("new: %w", err)
		}
		oldP, err := load(ctx, oldFS, a)
		if err != nil && fedmatch.IsCode(err, fedmatch.Invalid) && !hasAgency(oldFS, a) {
			oldP = nil // a new agency: everything it allows widens
		} else if err != nil {
			return nil, fmt.Errorf("old: %w", err)
		}
		for _, cl := range Table(roster, a, now) {
			var o, n string
			var widens bool
			if cl.Query != nil {
				od := fedmatch.Decision{Reason: "(no policy)"}
				if oldP != nil {
					if od, err = oldP.Decide(ctx, cl.Query); err != nil {
						return nil, fmt.Errorf("old: %w", err)
					}
				}
				nd, err := newP.Decide(ctx, cl.Query)
				if err != nil {
					return nil, fmt.Errorf("new: %w", err)
				}
				o, n, widens = describeDecision(od), describeDecision(nd), decisionWidens(od, nd)
			} else {
				var od fedmatch.Disclosure
				if oldP != nil {
					if od, err = oldP.Disclose(ctx, cl.Disclose); err != nil {
						return nil, fmt.Errorf("old: %w", err)
					}
				}
				nd, err := newP.Disclose(ctx, cl.Disclose)
				if err != nil {
					return nil, fmt.Errorf("new: %w", err)
				}
				o, n, widens = describeDisclosure(od), describeDisclosure(nd), disclosureWidens(od, nd)
			}
			if o != n {
				out = append(out, Change{Key: cl.Key, Scope: cl.Scope, Dims: cl.Dims, Old: o, New: n, Widens: widens})
			}
		}
	}
	return out, nil
}

func hasAgency(fsys fs.FS, a fedmatch.AgencyID) bool {
	_, err := fs.Stat(fsys, string(a))
	return err == nil
}

func load(ctx context.Context, fsys fs.FS, a fedmatch.AgencyID) (fedmatch.Policy, error) {
	srcs, err := Sources(fsys, a)
	if err != nil {
		return nil, err
	}
	p, _, err := compileWith(ctx, srcs, a)
	if err != nil {
		return nil, fedmatch.Wrap("policy.Diff", fedmatch.Invalid, err)
	}
	return p, nil
}

func describeDecision(d fedmatch.Decision) string {
	if !d.Allow {
		return "refuse (" + d.Reason + ")"
	}
	cats := make([]string, len(d.Categories))
	for i, c := range d.Categories {
		cats[i] = string(c)
	}
	sort.Strings(cats)
	return fmt.Sprintf("allow [%s] min_score %.2f max_hits %d", strings.Join(cats, " "), d.MinScore, d.MaxHits)
}

func describeDisclosure(d fedmatch.Disclosure) string {
	switch {
	case !d.Allow:
		return "drop"
	case len(d.Fields) == 0 && !d.Review:
		return "hit/no-hit only"
	}
	f := slices.Clone(d.Fields)
	sort.Strings(f)
	s := "disclose [" + strings.Join(f, " ") + "]"
	if d.Review {
		s += " after review"
	}
	return s
}

// decisionWidens: allowed where it was refused, more categories, a lower
// score bar or more hits.
func decisionWidens(o, n fedmatch.Decision) bool {
	if !n.Allow {
		return false
	}
	if !o.Allow {
		return true
	}
	for _, c := range n.Categories {
		if !slices.Contains(o.Categories, c) {
			return true
		}
	}
	return n.MinScore < o.MinScore || (o.MaxHits > 0 && (n.MaxHits == 0 || n.MaxHits > o.MaxHits))
}

// disclosureWidens: disclosed where it was dropped, a field added, or no
// longer held for review.
func disclosureWidens(o, n fedmatch.Disclosure) bool {
	if !n.Allow {
		return false
	}
	if !o.Allow || (o.Review && !n.Review) {
		return true
	}
	for _, f := range n.Fields {
		if !slices.Contains(o.Fields, f) {
			return true
		}
	}
	return false
}

// WriteDiff prints changes grouped, widening groups marked WIDENS.
func WriteDiff(w io.Writer, changes []Change) {
	for _, g := range Group(changes) {
		mark := "narrows"
		if g.Widens {
			mark = "WIDENS "
		}
		fmt.Fprintf(w, "%s  %s  %s (%d cells)\n    %s  ->  %s\n", mark, g.Scope, g.Rule, g.Cells, g.Old, g.New)
		for d, vs := range g.Values {
			fmt.Fprintf(w, "    %s: %s\n", DimNames[d], strings.Join(vs, "; "))
		}
	}
}
