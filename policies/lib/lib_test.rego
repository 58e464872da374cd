package fedmatch.lib_test

import data.fedmatch.lib

req(t) := {"time": t}

arrest := {
	"category": "arrest-biometrics",
	"collected_at": "2023-03-01",
	"retention_until": "2040-01-01",
	"flags": ["national-security"],
}

test_arrest_biometrics_kept_three_years if {
	lib.retained(arrest, req("2026-02-28T23:59:59Z"))
	not lib.retained(arrest, req("2026-03-01T00:00:00Z"))
}

test_arrest_biometrics_three_years_whether_or_not_charged if {
	charged := object.union(arrest, {"flags": ["national-security", "charged"]})
	not lib.retained(charged, req("2026-03-02T00:00:00Z"))
}

test_arrest_biometrics_extended_to_five_years if {
	ext := object.union(arrest, {"extended_until": "2040-01-01", "extension_reason": "national security determination 2026/14"})
	lib.retained(ext, req("2028-02-28T00:00:00Z"))
	not lib.retained(ext, req("2028-03-01T00:00:00Z"))
}

test_extension_without_reason_does_not_extend if {
	ext := object.union(arrest, {"extended_until": "2040-01-01", "extension_reason": ""})
	not lib.retained(ext, req("2026-06-01T00:00:00Z"))
}

test_stated_retention_is_inclusive if {
	r := {"category": "immigration-offender", "collected_at": "2020-01-01", "retention_until": "2026-11-23", "flags": []}
	lib.retained(r, req("2026-11-23T23:00:00Z"))
	not lib.retained(r, req("2026-11-24T00:00:00Z"))
}

test_stated_extension_overrides_retention if {
	r := {"category": "immigration-offender", "collected_at": "2020-01-01", "retention_until": "2025-01-01", "extended_until": "2027-01-01", "extension_reason": "appeal pending", "flags": []}
	lib.retained(r, req("2026-06-01T00:00:00Z"))
}

test_never_disclosed if {
	lib.never_disclosed({"flags": ["juvenile"]})
	lib.never_disclosed({"flags": ["charged", "no-foreign-sharing"]})
	not lib.never_disclosed({"flags": ["charged"]})
	not lib.never_disclosed({"flags": []})
}

test_agreed if {
	lib.agreed({"purposes": ["border-admission"]}, {"purpose": "border-admission"})
	not lib.agreed({"purposes": ["border-admission"]}, {"purpose": "counter-terrorism"})
}

test_step_two_needs_a_case if {
	lib.step_two({"step": "disclose", "case": "C-1"})
	not lib.step_two({"step": "disclose", "case": ""})
	not lib.step_two({"step": "match", "case": "C-1"})
}

test_reciprocal if {
	lib.reciprocal({"answers": ["border-admission"]}, {"purpose": "border-admission"})
	not lib.reciprocal({"answers": ["border-admission"]}, {"purpose": "visa-application"})
	not lib.reciprocal({"id": "x"}, {"purpose": "visa-application"})
}

test_within_quota if {
	q := {"us-dhs": {"border-admission": 2}}
	lib.within_quota(q, {"requester": "us-dhs", "purpose": "border-admission"}, {"today": 1})
	not lib.within_quota(q, {"requester": "us-dhs", "purpose": "border-admission"}, {"today": 2})
	lib.within_quota(q, {"requester": "us-dhs", "purpose": "visa-application"}, {"today": 1000})
	lib.within_quota(q, {"requester": "de-bka", "purpose": "border-admission"}, {"today": 1000})
}

test_max_candidates if {
	lib.max_candidates({"probe_kinds": ["fingerprint", "biographic"]}) == 1
	lib.max_candidates({"probe_kinds": ["biographic"]}) == 5
}

test_face_only if {
	lib.face_only({"kind": "face", "score": 0.9})
	lib.face_only({"kind": "face", "kinds": ["face"], "score": 0.9})
	not lib.face_only({"kind": "biographic", "kinds": ["biographic", "face"], "score": 0.9})
	not lib.face_only({"kind": "fingerprint", "kinds": ["fingerprint", "face"], "score": 0.9})
	not lib.face_only({"kind": "fingerprint", "score": 0.9})
}
