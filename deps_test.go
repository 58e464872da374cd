package fedmatch_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the layering of DESIGN.md: dependencies point
// down and never back up. The cores (broker, node) reach NATS, OPA and
// go-memdb only through the root interfaces, wired in cmd/.
func TestDependencies(t *testing.T) {
	const mod = "github.com/fedmatch/fedmatch"
	out, err := exec.Command("go", "list", "-deps=false", "-f", "{{.ImportPath}}|{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// forbidden[pkg] lists import-path prefixes pkg must not depend on,
	// directly or not. "ours" means every package of this module but the
	// ones allowed.
	forbidden := map[string][]string{
		mod:                     {mod + "/", "github.com/", "golang.org/"},
		mod + "/certs":          {mod + "/wire", mod + "/bus", mod + "/node", mod + "/broker", "github.com/nats-io", "github.com/open-policy-agent"},
		mod + "/wire":           {mod + "/bus", mod + "/node", mod + "/broker", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/node":           {mod + "/bus", mod + "/broker", mod + "/certs", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/broker":         {mod + "/bus", mod + "/node", mod + "/certs", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/node/match":     {mod + "/wire", mod + "/node/", mod + "/bus", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/node/store":     {mod + "/wire", mod + "/node/policy", mod + "/bus", "github.com/nats-io", "github.com/open-policy-agent"},
		mod + "/node/policy":    {mod + "/wire", mod + "/node/store", mod + "/bus", "github.com/nats-io", "github.com/hashicorp"},
		mod + "/node/match/mrz": {mod + "/", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp", "golang.org/"},
		mod + "/node/review":    {mod + "/", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/audit":          {mod + "/", "github.com/nats-io", "github.com/open-policy-agent", "github.com/hashicorp"},
		mod + "/policies":       {mod, "github.com/"},
		mod + "/schemas":        {mod, "github.com/"},
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, "|")
		rules, ok := forbidden[pkg]
		if !ok {
			continue
		}
		seen++
		for _, d := range strings.Fields(deps) {
			for _, bad := range rules {
				if strings.HasPrefix(d, bad) && d != pkg && !strings.HasPrefix(d, pkg+"/internal") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	if seen != len(forbidden) {
		t.Fatalf("checked %d of %d packages; was one renamed?", seen, len(forbidden))
	}
}
