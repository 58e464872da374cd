# US Department of Homeland Security: which partners may search its
# records, for what, and what they are told. See gb-home-office for the
# shape of the rules; the tables below are DHS's own.
package fedmatch.agencies.us_dhs

import data.fedmatch.lib

# searchable[partner][purpose] is the set of categories a partner may
# search here for a purpose. DHS does not answer asylum determinations
# automatically, though its agreement with the UK would allow them.
searchable := {
	"gb-home-office": {
		"border-admission": {"immigration-offender", "false-document", "traveller-of-interest"},
		"visa-application": {"immigration-offender", "failed-asylum-seeker", "false-document", "traveller-of-interest"},
		"immigration-enforcement": {"immigration-offender", "failed-asylum-seeker", "false-document"},
	},
	"de-bka": {
		"border-admission": {"false-document", "traveller-of-interest"},
		"visa-application": {"false-document", "traveller-of-interest"},
	},
}

# disclosed[partner][purpose] is what a hit tells the partner. DHS tells
# its Five Eyes partner identity fields for visas and enforcement, and
# other partners hit/no-hit with a reference only.
disclosed := {
	"gb-home-office": {
		"border-admission": lib.fields_reference,
		"visa-application": lib.fields_identity,
		"immigration-enforcement": lib.fields_full,
	},
	"de-bka": {
		"border-admission": lib.fields_hit_only,
		"visa-application": lib.fields_hit_only,
	},
}

# on_request[partner][purpose] is what step two (disclose, with a case
# reference) tells about one hit: the Five Eyes partner gets identity at
# the border too; Germany gets nothing more than the reference it has.
on_request := {
	"gb-home-office": {
		"border-admission": lib.fields_identity,
		"visa-application": lib.fields_identity,
		"immigration-enforcement": lib.fields_full,
	},
	"de-bka": {
		"border-admission": lib.fields_hit_only,
		"visa-application": lib.fields_hit_only,
	},
}

# fields is the field set for this request's step, unless the partner is
# switched to hit-only.
fields := lib.fields_hit_only if {
	partner_status[input.request.requester] == "hit-only"
} else := on_request[input.request.requester][input.request.purpose] if {
	lib.step_two(input.request)
} else := disclosed[input.request.requester][input.request.purpose]

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
	"min_score": 0.88,
	"max_hits": lib.max_candidates(input.request),
}

default disclose := {"allow": false}

disclose := {"allow": true, "fields": fields} if {
	not lib.never_disclosed(input.record)
	lib.retained(input.record, input.request)
	input.record.category in searchable[input.request.requester][input.request.purpose]
	input.match.score >= 0.88
}
