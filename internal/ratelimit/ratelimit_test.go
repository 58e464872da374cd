package ratelimit_test

import (
	"testing"

	"github.com/fedmatch/fedmatch/internal/ratelimit"
)

func TestKeyed_Allow(t *testing.T) {
	k := ratelimit.New(ratelimit.Limit{PerSecond: 0.001, Burst: 3})
	for i := range 3 {
		if !k.Allow("gb") {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	if k.Allow("gb") {
		t.Fatal("a fourth request within the burst passed")
	}
	if !k.Allow("us") {
		t.Fatal("another key shares gb's bucket")
	}
	u := ratelimit.New(ratelimit.Unlimited)
	for range 10000 {
		if !u.Allow("gb") {
			t.Fatal("Unlimited refused")
		}
	}
}
