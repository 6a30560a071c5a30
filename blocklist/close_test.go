package blocklist_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
)

// TestCloseStopsEveryGoroutine starts Lists in each configuration (default
// clock with its ticker, injected clock; idle, busy and stale), closes them,
// and checks that the process is back to the goroutines it had before.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []blocklist.Option
	}{
		{"DefaultClock", nil},
		{"InjectedClock", []blocklist.Option{blocklist.WithClock(time.Now)}},
		{"ShortBound", []blocklist.Option{blocklist.WithStalenessBound(50 * time.Millisecond)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := &flakyStore{Store: blocklist.NewMemoryStore()}
			before := runtime.NumGoroutine()
			var lists []*blocklist.List
			for range 5 {
				l, err := blocklist.New(store, tc.opts...)
				require.NoError(t, err)
				lists = append(lists, l)
			}
			require.NoError(t, lists[0].RevokeToken(ctx, "j", time.Now().Add(time.Minute)))
			require.Eventually(t, func() bool {
				r, err := lists[4].IsRevoked(ctx, &jwt.Claims{ID: "j"})
				return err == nil && r
			}, eventually, time.Millisecond)
			store.SetDown(true) // one in a retry loop, the others too
			require.Greater(t, runtime.NumGoroutine(), before)
			for _, l := range lists {
				require.NoError(t, l.Close())
			}
			// Close has waited for the goroutines; give the runtime the
			// instant it needs to reap them (require.Eventually would add
			// goroutines of its own to the count).
			require.LessOrEqual(t, settledGoroutines(before), before, "goroutines left after Close")
		})
	}
}

// settledGoroutines returns the goroutine count once it is at most want, or
// the last count seen when a generous deadline passes.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(eventually)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		runtime.Gosched()
		n = runtime.NumGoroutine()
	}
	return n
}
