// Package policies carries the federation's Rego policies inside the
// binary: lib/ holds shared rules, each other folder one agency's decision
// and disclosure rules, with _test.rego files beside them. They are plain
// Rego v1 with no custom built-ins, so `opa test policies/` and `opa fmt`
// work on them as they are.
package policies

import "embed"

// FS holds every .rego file, tests included; loaders skip *_test.rego.
//
//go:embed */*.rego
var FS embed.FS
