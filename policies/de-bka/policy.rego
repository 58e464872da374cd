# Bundeskriminalamt (Germany), an EU partner under a Prüm-style
# agreement: automated search answers hit/no-hit only, with a reference
# for a follow-up request; nothing else is disclosed automatically.
package fedmatch.agencies.de_bka

import data.fedmatch.lib

# searchable[partner][purpose] is the set of categories a partner may
# search here for a purpose.
searchable := {
	"gb-home-office": {
		"border-admission": {"false-document", "traveller-of-interest"},
		"visa-application": {"false-document", "traveller-of-interest", "immigration-offender"},
	},
	"us-dhs": {
		"border-admission": {"false-document", "traveller-of-interest"},
		"visa-application": {"false-document"},
	},
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
	"min_score": 0.9,
	"max_hits": 1,
}

default disclose := {"allow": false}

# Hit/no-hit only: a hit carries its reference and nothing else.
disclose := {"allow": true, "fields": lib.fields_hit_only} if {
	not lib.never_disclosed(input.record)
	lib.retained(input.record, input.request)
	input.record.category in searchable[input.request.requester][input.request.purpose]
	input.match.score >= 0.9
}
