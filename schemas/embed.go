// Package schemas holds the JSON Schemas of the policy contract: the input
// a node gives its policy (input.json) and the outputs it accepts from the
// decision and disclose rules (decision.json, disclose.json). They describe
// this binary's Go types, so they live with the code rather than in a
// policy folder (where `opa test` would load them as data); every node and
// `fedmatch policy check` type-check policies against input.json, and
// editors or `opa check --schema schemas/input.json` can use them as they are.
package schemas

import "embed"

// FS holds input.json, decision.json and disclose.json.
//
//go:embed *.json
var FS embed.FS
