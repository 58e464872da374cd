// Package ratelimit caps how fast each requester may ask: a token bucket
// (golang.org/x/time/rate) per key, such as an agency, or an agency and a
// purpose. Keys are verified agency ids and purposes, so the number of
// buckets is bounded by the roster.
package ratelimit

import (
	"math"
	"sync"

	"golang.org/x/time/rate"
)

// Limit is a sustained rate and the burst allowed above it.
type Limit struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// Unlimited lets everything through.
var Unlimited = Limit{PerSecond: math.Inf(1)}

// Keyed holds one bucket per key.
type Keyed struct {
	limit   Limit
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// New returns buckets of limit l.
func New(l Limit) *Keyed { return &Keyed{limit: l, buckets: map[string]*rate.Limiter{}} }

// Allow takes a token from key's bucket, reporting whether there was one.
func (k *Keyed) Allow(key string) bool {
	if math.IsInf(k.limit.PerSecond, 1) {
		return true
	}
	k.mu.Lock()
	b := k.buckets[key]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(k.limit.PerSecond), max(k.limit.Burst, 1))
		k.buckets[key] = b
	}
	k.mu.Unlock()
	return b.Allow()
}
