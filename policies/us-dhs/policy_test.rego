package fedmatch.agencies.us_dhs_test

import data.fedmatch.agencies.us_dhs as policy

query(requester, purpose) := {
	"requester": {"id": requester, "answers": ["border-admission", "visa-application", "asylum-determination", "immigration-enforcement", "counter-terrorism"]},
	"usage": {"today": 0},
	"request": {"requester": requester, "purpose": purpose, "time": "2026-11-23T10:00:00Z", "probe_kinds": ["document"]},
	"agreement": {"purposes": ["border-admission", "visa-application"]},
}

record := {"category": "false-document", "collected_at": "2025-01-01", "retention_until": "2035-01-01", "flags": []}

hit(requester, purpose) := object.union(query(requester, purpose), {"record": record, "match": {"kind": "document", "score": 1}})

test_gb_visa_gets_identity if {
	d := policy.disclose with input as hit("gb-home-office", "visa-application")
	d.allow
	"documents" in d.fields
}

test_de_gets_hit_no_hit_only if {
	d := policy.disclose with input as hit("de-bka", "visa-application")
	d == {"allow": true, "fields": []}
}

test_de_may_not_seek_immigration_offenders if {
	d := policy.decision with input as query("de-bka", "border-admission")
	d.allow
	not "immigration-offender" in d.categories
}

test_outside_agreement_refused if {
	d := policy.decision with input as query("gb-home-office", "asylum-determination")
	d.reason == "not_in_agreement"
}

test_default_deny_unknown_partner if {
	not policy.decision.allow with input as query("fr-dgsi", "border-admission")
	not policy.disclose.allow with input as hit("fr-dgsi", "border-admission")
}

test_gb_asylum_not_answered_automatically if {
	inp := object.union(query("gb-home-office", "asylum-determination"), {"agreement": {"purposes": ["asylum-determination"]}})
	d := policy.decision with input as inp
	d == {"allow": false, "reason": "purpose_not_permitted"}
}

test_gb_border_identity_only_at_step_two if {
	first := policy.disclose with input as hit("gb-home-office", "border-admission")
	first.fields == ["category"]
	second_input := object.union(hit("gb-home-office", "border-admission"), {"request": {"requester": "gb-home-office", "purpose": "border-admission", "step": "disclose", "case": "C-1", "time": "2026-11-23T10:00:00Z", "probe_kinds": []}})
	second := policy.disclose with input as second_input
	"surname" in second.fields
}
