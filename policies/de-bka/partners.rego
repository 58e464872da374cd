# Per-partner switches and quotas: the part of the policy an operator
# changes most often. Edits take effect on the node's next reload.
package fedmatch.agencies.de_bka

# partner_status[partner] is "active", "hit-only" (every hit is disclosed
# as hit/no-hit only, at both steps) or "suspended" (every request is
# refused with reason partner_suspended). A partner not listed is active.
partner_status := {
	"gb-home-office": "active",
	"us-dhs": "active",
}

# quota[partner][purpose] is the number of requests a partner may make
# here per UTC day for a purpose; past it, requests are refused with
# reason quota_exceeded. No entry means no daily limit.
quota := {
	"gb-home-office": {"border-admission": 10000, "visa-application": 5000},
	"us-dhs": {"border-admission": 10000, "visa-application": 5000},
}
