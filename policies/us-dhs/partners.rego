# Per-partner switches and quotas: the part of the policy an operator
# changes most often. Edits take effect on the node's next reload.
package fedmatch.agencies.us_dhs

# partner_status[partner] is "active", "hit-only" (every hit is disclosed
# as hit/no-hit only, at both steps) or "suspended" (every request is
# refused with reason partner_suspended). A partner not listed is active.
partner_status := {
	"gb-home-office": "active",
	"de-bka": "active",
}

# quota[partner][purpose] is the number of requests a partner may make
# here per UTC day for a purpose; past it, requests are refused with
# reason quota_exceeded. No entry means no daily limit.
quota := {
	"de-bka": {"border-admission": 5000, "visa-application": 2000},
}
