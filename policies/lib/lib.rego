# Shared rules for every agency's policy: the federation's vocabulary,
# retention arithmetic, records that are never disclosed, and field sets.
#
# Inputs are described in policies/README.md. Times are RFC 3339 strings
# (input.request.time, the node's clock) and dates YYYY-MM-DD.
package fedmatch.lib

# The purposes a query may state.
purposes := {
	"border-admission",
	"visa-application",
	"asylum-determination",
	"immigration-enforcement",
	"counter-terrorism",
}

# The categories of record an agency may hold.
categories := {
	"immigration-offender",
	"failed-asylum-seeker",
	"false-document",
	"traveller-of-interest",
	"arrest-biometrics",
}

# Field sets a policy may disclose. "id" is never disclosable; the node
# refuses to copy any field outside fedmatch.DisclosableFields.
fields_hit_only := []

fields_reference := ["category"]

fields_identity := ["category", "surname", "given_names", "date_of_birth", "sex", "nationalities", "documents"]

fields_full := array.concat(fields_identity, ["aliases", "place_of_birth", "collected_at"])

# day_ns is the first instant of a YYYY-MM-DD date, in nanoseconds (UTC).
day_ns(d) := time.parse_ns("2006-01-02", d)

# now_ns is the request's time as the node saw it.
now_ns(request) := time.parse_rfc3339_ns(request.time)

# stated_end_ns is the end of the last day the record says it may be kept:
# its extension when one is recorded, else its retention date.
stated_end_ns(record) := time.add_date(day_ns(record.extended_until), 0, 0, 1) if {
	record.extended_until
} else := time.add_date(day_ns(record.retention_until), 0, 0, 1)

# Arrest biometrics (national-security cases) are kept 3 years from
# collection, extendable once by 2 years with a recorded reason, whether
# or not a charge followed. This cap holds whatever date the record states.
category_end_ns(record) := time.add_date(day_ns(record.collected_at), 5, 0, 0) if {
	record.category == "arrest-biometrics"
	record.extended_until
	record.extension_reason != ""
} else := time.add_date(day_ns(record.collected_at), 3, 0, 0) if {
	record.category == "arrest-biometrics"
}

# retained holds when the record may still be used at the request's time.
retained(record, request) if {
	now := now_ns(request)
	now < stated_end_ns(record)
	not past_category_limit(record, now)
}

past_category_limit(record, now) if now >= category_end_ns(record)

# Records that are never disclosed to a foreign agency, in any form: the
# node drops them so that the answer is the same as if they did not exist.
never_disclosed(record) if "juvenile" in record.flags

never_disclosed(record) if "no-foreign-sharing" in record.flags

# agreed holds when the agreement the query names covers its purpose.
agreed(agreement, request) if request.purpose in agreement.purposes

# step_two holds for a step-two request: the requester names a hit it was
# given, for a purpose and with a case reference, and asks for more.
step_two(request) if {
	request.step == "disclose"
	request.case != ""
}

# reciprocal holds when the requester itself answers queries for the
# purpose it asks for (the roster's "answers" list): an agency that does
# not answer for a purpose may not ask for it.
reciprocal(requester, request) if request.purpose in requester.answers

# within_quota holds when the requester has not used up its daily quota
# for the purpose here (quota[partner][purpose], requests per UTC day; the
# node counts, input.usage.today). No quota set means no daily limit.
within_quota(quota, request, _) if not quota[request.requester][request.purpose]

within_quota(quota, request, usage) if usage.today < quota[request.requester][request.purpose]

# max_candidates is the Prüm-style cap on hits returned: one for a
# ten-print (fingerprint) search, five otherwise.
max_candidates(request) := 1 if {
	"fingerprint" in request.probe_kinds
} else := 5

# face_only holds for a hit found by face alone: face recognition errs
# most (lookalikes, twins, poor captures), so policies tell such a hit as
# hit/no-hit only and leave identity to step two or another modality.
face_only(m) if {
	m.kind == "face"
	count(object.get(m, "kinds", [])) <= 1
}
