package fedmatch.agencies.de_bka_test

import data.fedmatch.agencies.de_bka as policy

query(requester, purpose) := {
	"requester": {"id": requester, "answers": ["border-admission", "visa-application", "asylum-determination", "immigration-enforcement", "counter-terrorism"]},
	"usage": {"today": 0},
	"request": {"requester": requester, "purpose": purpose, "time": "2026-11-23T10:00:00Z", "probe_kinds": ["biographic"]},
	"agreement": {"purposes": ["border-admission", "visa-application"]},
}

hit(rec) := object.union(query("gb-home-office", "border-admission"), {"record": rec, "match": {"kind": "biographic", "score": 0.97}})

record := {"category": "traveller-of-interest", "collected_at": "2025-01-01", "retention_until": "2035-01-01", "flags": []}

test_hit_no_hit_only if {
	d := policy.disclose with input as hit(record)
	d == {"allow": true, "fields": []}
}

test_at_most_one_candidate if {
	d := policy.decision with input as query("gb-home-office", "border-admission")
	d.max_hits == 1
}

test_counter_terrorism_outside_agreement if {
	d := policy.decision with input as query("gb-home-office", "counter-terrorism")
	d == {"allow": false, "reason": "not_in_agreement"}
}

test_juvenile_dropped if {
	not policy.disclose.allow with input as hit(object.union(record, {"flags": ["juvenile"]}))
}
