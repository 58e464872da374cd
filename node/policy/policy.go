// Package policy is the OPA adapter: it compiles an agency's Rego policy
// (policies/<agency>/ with policies/lib/) once, prepares its two decision
// rules, and evaluates them per query and per record.
//
// A policy that does not compile, or lacks a rule, fails at load, not at
// the first query. Reload compiles off the hot path and swaps atomically;
// a broken reload leaves the old policy serving.
package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/fedmatch/fedmatch"
)

// LibDir is the folder of shared rules loaded with every agency's policy.
const LibDir = "lib"

// Package returns the Rego package of an agency's policy.
func Package(agency fedmatch.AgencyID) string { return "fedmatch.agencies." + agency.PolicyName() }

// prepared is one compiled revision; it is immutable once built.
type prepared struct {
	decision rego.PreparedEvalQuery
	disclose rego.PreparedEvalQuery
	revision string
}

var (
	_ fedmatch.PolicyEngine = (*Engine)(nil)
	_ fedmatch.Policy       = (*prepared)(nil)
)

// Current returns the revision serving now.
func (e *Engine) Current() fedmatch.Policy { return e.cur.Load() }

// Engine evaluates one agency's policy.
type Engine struct {
	agency fedmatch.AgencyID
	log    *slog.Logger
	cur    atomic.Pointer[prepared]

	mu       sync.Mutex // guards status and rejected; serialises reloads
	status   Status
	rejected string // revision of the sources last rejected
	lastErr  error
}

// Status is what a node reports of its policy.
type Status struct {
	Revision    string    `json:"revision"`
	LoadedAt    time.Time `json:"loaded_at"`
	LastError   string    `json:"last_error,omitempty"` // the latest rejected change
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Load compiles agency's policy from fsys (a folder laid out like
// policies/) and prepares it. Errors: Invalid, naming file and line.
func Load(ctx context.Context, fsys fs.FS, agency fedmatch.AgencyID, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{agency: agency, log: log}
	if err := e.Reload(ctx, fsys); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload compiles the policy in fsys and, if it is valid, swaps it in for
// the next evaluation; evaluations under way finish with the old one.
// Errors: Invalid.
//
// Sources whose revision is already serving are not compiled again, so
// Reload is cheap to call often.
func (e *Engine) Reload(ctx context.Context, fsys fs.FS) error {
	srcs, err := Sources(fsys, e.agency)
	return e.reload(ctx, srcs, err)
}

// reload swaps in srcs, already read (or the error reading them).
func (e *Engine) reload(ctx context.Context, srcs map[string][]byte, err error) error {
	const op = "policy.Load"
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		rev := Revision(srcs)
		if cur := e.cur.Load(); cur != nil && cur.revision == rev {
			if e.rejected != "" { // a broken edit was reverted
				e.rejected, e.lastErr = "", nil
				e.status.LastError, e.status.LastErrorAt = "", time.Time{}
			}
			return nil
		}
		if rev == e.rejected { // the same broken sources: already reported
			return e.lastErr
		}
		e.rejected = rev
	}
	var p *prepared
	if err == nil {
		p, _, err = compileWith(ctx, srcs, e.agency)
	}
	if err != nil {
		err = fedmatch.Wrap(op, fedmatch.Invalid, err)
		e.lastErr = err
		e.status.LastError, e.status.LastErrorAt = err.Error(), time.Now().UTC()
		if e.cur.Load() != nil {
			e.log.Error("policy change rejected; the previous policy keeps serving", "agency", e.agency,
				"serving", e.status.Revision, "err", err)
		}
		return err
	}
	e.cur.Store(p)
	e.rejected, e.lastErr = "", nil
	e.status = Status{Revision: p.revision, LoadedAt: time.Now().UTC()}
	e.log.Info("policy loaded", "agency", e.agency, "revision", p.revision)
	return nil
}

// Watch reloads the policy from src every interval until ctx ends, so a
// valid edit takes effect within two intervals and an invalid one is
// reported (Status.LastError) while the old policy serves on. The OPA
// library has no file watcher; polling a handful of small files is cheap
// and works on every file system.
//
// Sources are applied only once two polls in a row read the same content:
// an editor or a copy that writes a file in place is caught half way far
// more often than twice, and a half-written file must neither be reported
// as broken nor, worse, parse and serve.
func (e *Engine) Watch(ctx context.Context, src Source, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var (
		seen    string // what the last poll read: a revision or an error
		pending map[string][]byte
		readErr error
		have    bool
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fsys, err := src()
			if err != nil {
				e.reject(fedmatch.Wrap("policy.Load", fedmatch.Invalid, err))
				continue
			}
			if fsys != nil { // nil: unchanged since the last poll
				srcs, err := Sources(fsys, e.agency)
				now := "error: " + fmt.Sprint(err)
				if err == nil {
					now = Revision(srcs)
				}
				if now != seen { // first seen, or still changing: wait a poll
					seen, pending, readErr, have = now, srcs, err, true
					continue
				}
			}
			if have {
				_ = e.reload(ctx, pending, readErr) // logged and kept in Status
			}
		}
	}
}

// reject reports a change that could not even be read (a bundle whose
// signature fails), once per distinct error.
func (e *Engine) reject(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lastErr != nil && e.lastErr.Error() == err.Error() {
		return
	}
	e.lastErr = err
	e.status.LastError, e.status.LastErrorAt = err.Error(), time.Now().UTC()
	e.log.Error("policy change rejected; the previous policy keeps serving", "agency", e.agency, "serving", e.status.Revision, "err", err)
}

// DirSource re-reads fsys at every check; Reload skips unchanged sources.
func DirSource(fsys fs.FS) Source { return func() (fs.FS, error) { return fsys, nil } }

// Status returns the serving revision and the latest rejected change.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// Revision returns the content hash of the policy now serving.
func (e *Engine) Revision() string { return e.cur.Load().revision }

// Revision returns the content hash of this policy's sources.
func (p *prepared) Revision() string { return p.revision }

// Decide evaluates the query-level decision of the policy now serving.
func (e *Engine) Decide(ctx context.Context, in *fedmatch.QueryInput) (fedmatch.Decision, error) {
	return e.cur.Load().Decide(ctx, in)
}

// Disclose evaluates the record-level decision of the policy now serving.
func (e *Engine) Disclose(ctx context.Context, in *fedmatch.DiscloseInput) (fedmatch.Disclosure, error) {
	return e.cur.Load().Disclose(ctx, in)
}

// Sources reads the policy files of agency from fsys: lib/*.rego and
// <agency>/*.rego, without tests, keyed by path. Errors: Invalid.
func Sources(fsys fs.FS, agency fedmatch.AgencyID) (map[string][]byte, error) {
	const op = "policy.Sources"
	out := map[string][]byte{}
	for _, dir := range []string{LibDir, string(agency)} {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fedmatch.E(op, fedmatch.Invalid, "policy folder %s/: %w", dir, err)
		}
		for _, de := range ents {
			n := de.Name()
			if de.IsDir() || !strings.HasSuffix(n, ".rego") || strings.HasSuffix(n, "_test.rego") {
				continue
			}
			b, err := fs.ReadFile(fsys, path.Join(dir, n))
			if err != nil {
				return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
			}
			out[path.Join(dir, n)] = b
		}
	}
	return out, nil
}

// Revision is the content hash of a set of policy sources: sha256 over
// each path and content, in path order, shortened to 16 hex digits.
func Revision(srcs map[string][]byte) string {
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(srcs[n]))
		h.Write(srcs[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// compileWith compiles srcs, type-checking input references against
// schemas/input.json, and prepares both rules.
func compileWith(ctx context.Context, srcs map[string][]byte, agency fedmatch.AgencyID) (*prepared, *ast.Compiler, error) {
	modules := map[string]*ast.Module{}
	for name, src := range srcs {
		m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, nil, fmt.Errorf("%w", err) // names file:line
		}
		modules[name] = m
	}
	ss, err := inputSchema()
	if err != nil {
		return nil, nil, err
	}
	c := ast.NewCompiler().WithSchemas(ss)
	c.Compile(modules)
	if c.Failed() {
		return nil, nil, fmt.Errorf("%w", c.Errors)
	}
	pkg := "data." + Package(agency)
	p := &prepared{revision: Revision(srcs)}
	for _, rule := range []struct {
		name string
		dst  *rego.PreparedEvalQuery
	}{{"decision", &p.decision}, {"disclose", &p.disclose}} {
		ref := ast.MustParseRef(pkg + "." + rule.name)
		if len(c.GetRules(ref)) == 0 {
			return nil, nil, fmt.Errorf("policy for %s defines no rule %s", agency, ref)
		}
		pq, err := rego.New(rego.Compiler(c), rego.Query(ref.String())).PrepareForEval(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("prepare %s: %w", ref, err)
		}
		*rule.dst = pq
	}
	return p, c, nil
}

// Decide evaluates the query-level decision. A policy error or an output
// of the wrong shape refuses and returns an Internal error.
func (p *prepared) Decide(ctx context.Context, in *fedmatch.QueryInput) (fedmatch.Decision, error) {
	var d fedmatch.Decision
	err := eval(ctx, &p.decision, in, &d)
	if err != nil {
		return fedmatch.Decision{}, fedmatch.E("policy.Decide", fedmatch.Internal, "%w", err)
	}
	for _, c := range d.Categories {
		if !c.Known() {
			return fedmatch.Decision{}, fedmatch.E("policy.Decide", fedmatch.Internal, "policy named unknown category %q", c)
		}
	}
	if !d.Allow && d.Reason == "" {
		d.Reason = "denied"
	}
	return d, nil
}

// Disclose evaluates the record-level decision. Fields outside
// fedmatch.DisclosableFields are an error: policy cannot widen what the
// node is able to disclose.
func (p *prepared) Disclose(ctx context.Context, in *fedmatch.DiscloseInput) (fedmatch.Disclosure, error) {
	var d fedmatch.Disclosure
	if err := eval(ctx, &p.disclose, in, &d); err != nil {
		return fedmatch.Disclosure{}, fedmatch.E("policy.Disclose", fedmatch.Internal, "%w", err)
	}
	allowed := fedmatch.DisclosableFields()
	for _, f := range d.Fields {
		if !slices.Contains(allowed, f) {
			return fedmatch.Disclosure{}, fedmatch.E("policy.Disclose", fedmatch.Internal, "policy named undisclosable field %q", f)
		}
	}
	return d, nil
}

// eval runs pq on in and decodes its single result strictly into out.
func eval(ctx context.Context, pq *rego.PreparedEvalQuery, in, out any) error {
	v, err := ast.InterfaceToValue(in)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return fmt.Errorf("policy gave %d results; want exactly one (is there a default rule?)", len(rs))
	}
	b, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("policy output %s has the wrong shape: %w", b, err)
	}
	return nil
}
