package redisstore_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
)

// TestCloseStopsEveryGoroutine: Lists on Redis, following the feed (parked
// in a blocking XREAD) or retrying after their network was cut, leave no
// goroutine behind once closed. The clients are created first: their own
// goroutines are not the List's.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	writer := srv.Client()
	following := srv.Client()
	cutClient, cut := cuttableClient(t, srv.Addr, "replica-close")
	require.NoError(t, writer.Ping(ctx).Err())
	require.NoError(t, following.Ping(ctx).Err())
	require.NoError(t, cutClient.Ping(ctx).Err())

	before := runtime.NumGoroutine()
	var lists []*blocklist.List
	for _, rdb := range []*redis.Client{writer, following, cutClient} {
		s, err := redisstore.New(rdb, redisstore.WithPrefix("close"))
		require.NoError(t, err)
		l, err := blocklist.New(s, blocklist.WithStalenessBound(time.Second))
		require.NoError(t, err)
		lists = append(lists, l)
	}
	require.NoError(t, lists[0].RevokeToken(ctx, "j", time.Now().Add(time.Minute)))
	require.Eventually(t, func() bool {
		return isRevoked(lists[1], jwt.Claims{ID: "j"}) && isRevoked(lists[2], jwt.Claims{ID: "j"})
	},
		eventually, time.Millisecond)
	cut.Store(true)
	require.Positive(t, killClients(ctx, t, srv.Client(), "replica-close"))
	require.Greater(t, runtime.NumGoroutine(), before)

	for _, l := range lists {
		start := time.Now()
		require.NoError(t, l.Close())
		t.Logf("Close took %v", time.Since(start))
	}
	require.LessOrEqual(t, settledGoroutines(before), before, "goroutines left after Close")
}

// settledGoroutines returns the goroutine count once it is at most want, or
// the last count seen when a generous deadline passes (require.Eventually
// would add goroutines of its own to the count).
func settledGoroutines(want int) int {
	deadline := time.Now().Add(eventually)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		runtime.Gosched()
		n = runtime.NumGoroutine()
	}
	return n
}
