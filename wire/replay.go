package wire

import (
	"sync"
	"time"

	"github.com/fedmatch/fedmatch"
)

// ReplayCache remembers token ids until they expire, so a token is accepted
// once within its lifetime. Its size is bounded by the rate of tokens times
// their (short, enforced) lifetime; past Max entries it refuses new tokens
// as Unavailable rather than forget old ones, failing closed.
type ReplayCache struct {
	// Max bounds the entries held; zero means DefaultReplayMax.
	Max int

	mu    sync.Mutex
	seen  map[string]time.Time // key → expiry
	sweep time.Time
}

// DefaultReplayMax bounds a replay cache: a million ids, ~100 MB at worst.
const DefaultReplayMax = 1 << 20

// NewReplayCache returns an empty cache.
func NewReplayCache() *ReplayCache { return &ReplayCache{seen: map[string]time.Time{}} }

// Check records key as used until exp. Errors: Replayed when key is held
// and not yet expired at now; Unavailable when the cache is full.
func (c *ReplayCache) Check(key string, exp, now time.Time) error {
	const op = "wire.ReplayCache.Check"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if until, ok := c.seen[key]; ok && now.Before(until) {
		return fedmatch.E(op, fedmatch.Replayed, "token id already used")
	}
	max := c.Max
	if max <= 0 {
		max = DefaultReplayMax
	}
	if len(c.seen) >= max || now.Sub(c.sweep) > time.Minute {
		c.sweep = now
		for k, until := range c.seen {
			if !now.Before(until) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= max {
			return fedmatch.E(op, fedmatch.Unavailable, "replay cache full (%d ids); refusing until ids expire", max)
		}
	}
	c.seen[key] = exp
	return nil
}

// Len returns how many ids the cache holds.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
