package fedmatch.agencies.gb_home_office_test

import data.fedmatch.agencies.gb_home_office as policy

agreement := {"id": "gb-us-2026", "purposes": ["border-admission", "visa-application", "asylum-determination", "immigration-enforcement"]}

query(requester, purpose) := {
	"requester": {"id": requester, "answers": ["border-admission", "visa-application", "asylum-determination", "immigration-enforcement", "counter-terrorism"]},
	"usage": {"today": 0},
	"request": {"requester": requester, "purpose": purpose, "time": "2026-11-23T10:00:00Z", "probe_kinds": ["biographic"]},
	"agreement": agreement,
}

record := {
	"category": "immigration-offender",
	"collected_at": "2024-01-01",
	"retention_until": "2030-01-01",
	"flags": [],
}

hit(purpose, rec, score) := object.union(query("us-dhs", purpose), {"record": rec, "match": {"kind": "biographic", "score": score}})

test_partner_may_search_agreed_purpose if {
	d := policy.decision with input as query("us-dhs", "visa-application")
	d.allow
	"failed-asylum-seeker" in d.categories
	not "arrest-biometrics" in d.categories
}

test_purpose_outside_agreement_refused if {
	d := policy.decision with input as query("us-dhs", "counter-terrorism")
	not d.allow
	d.reason == "not_in_agreement"
}

test_unknown_partner_refused if {
	d := policy.decision with input as query("xx-outsider", "border-admission")
	d == {"allow": false, "reason": "unknown_partner"}
}

test_purpose_not_permitted_for_partner if {
	inp := object.union(query("de-bka", "asylum-determination"), {"agreement": {"purposes": ["asylum-determination"]}})
	d := policy.decision with input as inp
	d.reason == "purpose_not_permitted"
}

test_border_admission_discloses_reference_and_category_only if {
	d := policy.disclose with input as hit("border-admission", record, 0.95)
	d == {"allow": true, "fields": ["category"], "review": false}
}

test_visa_application_discloses_identity if {
	d := policy.disclose with input as hit("visa-application", record, 0.95)
	d.allow
	"surname" in d.fields
	not "address" in d.fields
}

test_low_score_not_disclosed if {
	d := policy.disclose with input as hit("border-admission", record, 0.85)
	not d.allow
}

test_juvenile_never_disclosed if {
	d := policy.disclose with input as hit("visa-application", object.union(record, {"flags": ["juvenile"]}), 1)
	d == {"allow": false}
}

test_no_foreign_sharing_never_disclosed if {
	d := policy.disclose with input as hit("visa-application", object.union(record, {"flags": ["no-foreign-sharing"]}), 1)
	d == {"allow": false}
}

test_expired_record_not_disclosed if {
	d := policy.disclose with input as hit("visa-application", object.union(record, {"retention_until": "2026-11-22"}), 1)
	not d.allow
}

test_arrest_biometrics_past_three_years_not_disclosed if {
	old := {"category": "arrest-biometrics", "collected_at": "2023-11-01", "retention_until": "2035-01-01", "flags": ["national-security", "charged"]}
	not policy.disclose.allow with input as hit("border-admission", old, 1)
	recent := object.union(old, {"collected_at": "2024-01-01"})
	policy.disclose.allow with input as hit("border-admission", recent, 1)
}

test_category_outside_purpose_not_disclosed if {
	d := policy.disclose with input as hit("asylum-determination", object.union(record, {"category": "false-document"}), 1)
	not d.allow
}

step_two(purpose, case) := object.union(hit(purpose, record, 1), {"request": {"requester": "us-dhs", "purpose": purpose, "step": "disclose", "case": case, "time": "2026-11-23T10:00:00Z", "probe_kinds": []}, "match": {"kind": "reference", "score": 1}})

test_border_admission_identity_at_step_two if {
	d := policy.disclose with input as step_two("border-admission", "CASE-7")
	d.allow
	"surname" in d.fields
	"date_of_birth" in d.fields
}

test_step_two_without_case_stays_at_reference if {
	d := policy.disclose with input as step_two("border-admission", "")
	d.fields == ["category"]
}

test_step_two_never_discloses_juvenile if {
	inp := object.union(step_two("border-admission", "CASE-7"), {"record": object.union(record, {"flags": ["juvenile"]})})
	not policy.disclose.allow with input as inp
}

test_not_reciprocal if {
	inp := object.union(query("us-dhs", "asylum-determination"), {"requester": {"id": "us-dhs", "answers": ["border-admission"]}})
	d := policy.decision with input as inp
	d == {"allow": false, "reason": "not_reciprocal"}
}

test_quota_exceeded if {
	inp := object.union(query("de-bka", "border-admission"), {"usage": {"today": 5000}})
	d := policy.decision with input as inp
	d == {"allow": false, "reason": "quota_exceeded"}
	ok := object.union(query("de-bka", "border-admission"), {"usage": {"today": 4999}})
	policy.decision.allow with input as ok
}

test_partner_suspended if {
	d := policy.decision with input as query("us-dhs", "visa-application") with policy.partner_status as {"us-dhs": "suspended"}
	d == {"allow": false, "reason": "partner_suspended"}
}

test_partner_hit_only_at_both_steps if {
	d1 := policy.disclose with input as hit("visa-application", record, 1) with policy.partner_status as {"us-dhs": "hit-only"}
	d1.fields == []
	d2 := policy.disclose with input as step_two("border-admission", "CASE-7") with policy.partner_status as {"us-dhs": "hit-only"}
	d2.fields == []
}

test_ten_print_search_returns_one_candidate if {
	inp := object.union(query("us-dhs", "border-admission"), {"request": {"requester": "us-dhs", "purpose": "border-admission", "time": "2026-11-23T10:00:00Z", "probe_kinds": ["fingerprint"]}})
	d := policy.decision with input as inp
	d.max_hits == 1
	policy.decision.max_hits == 5 with input as query("us-dhs", "border-admission")
}

test_step_two_on_arrest_biometrics_needs_review if {
	inp := object.union(step_two("border-admission", "CASE-7"), {"record": object.union(record, {"category": "arrest-biometrics"})})
	d := policy.disclose with input as inp
	d.review
	not policy.disclose.review with input as step_two("border-admission", "CASE-7")
	not policy.disclose.review with input as object.union(hit("border-admission", object.union(record, {"category": "arrest-biometrics"}), 1), {})
}

test_face_only_hit_is_hit_no_hit if {
	face := object.union(query("us-dhs", "immigration-enforcement"), {"record": record, "match": {"kind": "face", "score": 0.95, "fmr_decades": 6}})
	d := policy.disclose with input as face
	d.allow
	d.fields == []
	both := object.union(face, {"match": {"kind": "fingerprint", "kinds": ["fingerprint", "face"], "score": 0.99, "fmr_decades": 9}})
	e := policy.disclose with input as both
	"surname" in e.fields
}
