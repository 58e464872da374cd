package node

import (
	"slices"
	"sync"
	"time"

	"github.com/fedmatch/fedmatch"
)

// Usage counts requests per requester and purpose per UTC day, for the
// quotas policies set. A request is counted once it is verified and within
// an agreement, whatever the policy then decides, so that a flood of
// refused requests still uses up the quota.
type Usage struct {
	mu  sync.Mutex
	day string
	n   map[usageKey]int
}

type usageKey struct {
	requester fedmatch.AgencyID
	purpose   fedmatch.Purpose
}

// NewUsage returns an empty counter.
func NewUsage() *Usage { return &Usage{n: map[usageKey]int{}} }

// Next counts one request and returns how many came before it today.
func (u *Usage) Next(now time.Time, requester fedmatch.AgencyID, purpose fedmatch.Purpose) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.roll(now)
	k := usageKey{requester, purpose}
	n := u.n[k]
	u.n[k] = n + 1
	return n
}

func (u *Usage) roll(now time.Time) {
	if d := now.UTC().Format(time.DateOnly); d != u.day {
		u.day, u.n = d, map[usageKey]int{}
	}
}

// Seed counts today's requests from a node's audit entries, so a restart
// does not reset a quota.
func (u *Usage) Seed(now time.Time, entries []*fedmatch.AuditEntry) {
	for _, e := range entries {
		u.SeedOne(now, e)
	}
}

// SeedOne counts one audit entry if it records a request made today.
func (u *Usage) SeedOne(now time.Time, e *fedmatch.AuditEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.roll(now)
	if e.Time.UTC().Format(time.DateOnly) == u.day && counted(e) {
		u.n[usageKey{e.Requester, e.Purpose}]++
	}
}

// counted reports whether an audit entry records a request Next counted:
// a match or disclose answered after the agreement check.
func counted(e *fedmatch.AuditEntry) bool {
	return (e.Event == "match" || e.Event == "disclose") &&
		!slices.Contains([]string{fedmatch.NotInAgreement.String(), fedmatch.UnknownAgency.String()}, e.Reason)
}
