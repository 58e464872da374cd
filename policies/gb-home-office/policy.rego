# UK Home Office: which partners may search its records, for what, and
# what they are told when something is found.
#
# Query level (data.fedmatch.agencies.gb_home_office.decision): allow or a
# reason code; the categories to search; the lowest score worth reporting.
# Record level (...disclose): whether a hit is reported at all, and which
# fields. Anything not allowed here is denied.
package fedmatch.agencies.gb_home_office

import data.fedmatch.lib

# searchable[partner][purpose] is the set of categories a partner may
# search here for a purpose. A partner or purpose not listed is refused.
searchable := {
	"us-dhs": {
		"border-admission": {"immigration-offender", "false-document", "traveller-of-interest", "arrest-biometrics"},
		"visa-application": {"immigration-offender", "failed-asylum-seeker", "false-document"},
		"asylum-determination": {"failed-asylum-seeker", "immigration-offender"},
		"immigration-enforcement": {"immigration-offender", "failed-asylum-seeker", "false-document"},
	},
	"de-bka": {
		"border-admission": {"false-document", "traveller-of-interest"},
		"visa-application": {"false-document"},
	},
}

# disclosed[purpose] is what a hit tells the partner. At the border only
# that there is a hit, its reference and category: identity fields come at
# step two (disclose), with a case reference.
disclosed := {
	"border-admission": lib.fields_reference,
	"visa-application": lib.fields_identity,
	"asylum-determination": lib.fields_identity,
	"immigration-enforcement": lib.fields_full,
}

# on_request[purpose] is what step two (disclose, with a case reference)
# tells about one hit the partner already holds a reference to.
on_request := {
	"border-admission": lib.fields_identity,
	"visa-application": lib.fields_identity,
	"asylum-determination": lib.fields_identity,
	"immigration-enforcement": lib.fields_full,
}

# fields is the field set for this request's step, unless the partner is
# switched to hit-only or the hit was found by face alone (hit/no-hit).
fields := lib.fields_hit_only if {
	partner_status[input.request.requester] == "hit-only"
} else := lib.fields_hit_only if {
	lib.face_only(input.match)
} else := on_request[input.request.purpose] if {
	lib.step_two(input.request)
} else := disclosed[input.request.purpose]

# min_score[purpose] is the lowest match score reported.
min_score := {
	"border-admission": 0.9,
	"visa-application": 0.85,
	"asylum-determination": 0.85,
	"immigration-enforcement": 0.85,
}

default decision := {"allow": false, "reason": "denied"}

decision := {"allow": false, "reason": "not_in_agreement"} if {
	not lib.agreed(input.agreement, input.request)
} else := {"allow": false, "reason": "partner_suspended"} if {
	partner_status[input.request.requester] == "suspended"
} else := {"allow": false, "reason": "unknown_partner"} if {
	not searchable[input.request.requester]
} else := {"allow": false, "reason": "purpose_not_permitted"} if {
	not searchable[input.request.requester][input.request.purpose]
} else := {"allow": false, "reason": "not_reciprocal"} if {
	not lib.reciprocal(input.requester, input.request)
} else := {"allow": false, "reason": "quota_exceeded"} if {
	not lib.within_quota(quota, input.request, input.usage)
} else := {
	"allow": true,
	"categories": sort(searchable[input.request.requester][input.request.purpose]),
	"min_score": min_score[input.request.purpose],
	"max_hits": lib.max_candidates(input.request),
}

# needs_review holds for step-two disclosures that an officer at the Home
# Office confirms before they are made: national-security arrest
# biometrics and travellers of interest. The requester is told
# pending_review until then.
default needs_review := false

needs_review if {
	lib.step_two(input.request)
	input.record.category in {"arrest-biometrics", "traveller-of-interest"}
}

default disclose := {"allow": false}

disclose := {"allow": true, "fields": fields, "review": needs_review} if {
	not lib.never_disclosed(input.record)
	lib.retained(input.record, input.request)
	input.record.category in searchable[input.request.requester][input.request.purpose]
	input.match.score >= min_score[input.request.purpose]
}
