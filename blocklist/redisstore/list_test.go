package redisstore_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/logbuf"
	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
)

const eventually = 15 * time.Second

// newList starts a List on its own client and store, as a separate service
// instance would.
func newList(t *testing.T, rdb redis.UniversalClient, opts ...blocklist.Option) *blocklist.List {
	t.Helper()
	s, err := redisstore.New(rdb, redisstore.WithPrefix("app"))
	require.NoError(t, err)
	l, err := blocklist.New(s, append([]blocklist.Option{blocklist.WithStalenessBound(2 * time.Second)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func isRevoked(l *blocklist.List, c jwt.Claims) bool {
	r, err := l.IsRevoked(context.Background(), &c)
	return err == nil && r
}

func TestTwoListsOnOneRedisSeeEachOther(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a, b := newList(t, srv.Client()), newList(t, srv.Client())

	require.NoError(t, a.RevokeToken(ctx, "jti-a", time.Now().Add(10*time.Minute)))
	require.NoError(t, b.RevokeSubject(ctx, "bob"))
	require.NoError(t, b.RevokeSession(ctx, "sid-b"))
	require.Eventually(t, func() bool { return isRevoked(b, jwt.Claims{ID: "jti-a"}) }, eventually, time.Millisecond)
	require.Eventually(t, func() bool {
		return isRevoked(a, jwt.Claims{Subject: "bob", IssuedAt: time.Now().Add(-time.Minute)}) &&
			isRevoked(a, jwt.Claims{SessionID: "sid-b"})
	}, eventually, time.Millisecond)
	assert.False(t, isRevoked(a, jwt.Claims{ID: "jti-other", Subject: "carol", SessionID: "sid-c"}))
}

func TestTwoListsOnARedisCluster(t *testing.T) {
	ctx := context.Background()
	c := redistest.StartCluster(t)
	a, b := newList(t, c.Client()), newList(t, c.Client())
	require.NoError(t, a.RevokeToken(ctx, "jti-a", time.Now().Add(10*time.Minute)))
	require.Eventually(t, func() bool { return isRevoked(b, jwt.Claims{ID: "jti-a"}) }, eventually, time.Millisecond)
}

// cuttableClient is a client whose network can be cut: while cut, dialling
// fails, so killed connections cannot come back.
func cuttableClient(t *testing.T, addr, name string) (*redis.Client, *atomic.Bool) {
	var cut atomic.Bool
	d := &net.Dialer{Timeout: time.Second}
	c := redis.NewClient(&redis.Options{
		Addr:       addr,
		ClientName: name,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if cut.Load() {
				return nil, errors.New("test: network cut")
			}
			return d.DialContext(ctx, network, addr)
		},
	})
	t.Cleanup(func() { _ = c.Close() })
	return c, &cut
}

// killClients kills, through admin, every connection named name, and
// returns how many there were.
func killClients(ctx context.Context, t *testing.T, admin *redis.Client, name string) int {
	t.Helper()
	list, err := admin.ClientList(ctx).Result()
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				require.NoError(t, admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err())
				n++
			}
		}
	}
	return n
}

func TestRevocationsMadeWhileAReplicaWasDisconnectedAreApplied(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	admin := srv.Client()
	a := newList(t, srv.Client())
	bClient, cut := cuttableClient(t, srv.Addr, "replica-b")
	b := newList(t, bClient, blocklist.WithStalenessBound(5*time.Second))
	require.False(t, isRevoked(b, jwt.Claims{ID: "x"}))

	cut.Store(true)
	require.Positive(t, killClients(ctx, t, admin, "replica-b"), "CLIENT KILL found the replica's connections")
	require.Zero(t, killClients(ctx, t, admin, "replica-b"), "and they could not come back")

	exp := time.Now().Add(10 * time.Minute)
	require.NoError(t, a.RevokeToken(ctx, "while-cut", exp))
	require.NoError(t, a.RevokeSession(ctx, "sid-while-cut"))
	require.NoError(t, a.RevokeSubject(ctx, "user-while-cut"))
	r, err := b.IsRevoked(ctx, &jwt.Claims{ID: "while-cut"})
	if err == nil {
		assert.False(t, r, "B cannot have heard of it: its network is cut")
	} else {
		assert.ErrorIs(t, err, blocklist.ErrStale)
	}

	cut.Store(false)
	require.Eventually(t, func() bool {
		return isRevoked(b, jwt.Claims{ID: "while-cut"}) &&
			isRevoked(b, jwt.Claims{SessionID: "sid-while-cut"}) &&
			isRevoked(b, jwt.Claims{Subject: "user-while-cut", IssuedAt: time.Now().Add(-time.Minute)})
	}, eventually, time.Millisecond, "applied when B reconnects: nothing lost")

	// And B follows the feed again afterwards.
	require.NoError(t, a.RevokeToken(ctx, "after-reconnect", exp))
	require.Eventually(t, func() bool { return isRevoked(b, jwt.Claims{ID: "after-reconnect"}) }, eventually, time.Millisecond)
}

func TestARedisRestartIsDetectedAndNothingIsLost(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	var mu sync.Mutex
	resets := map[string]int{}
	events := func(name string) blocklist.Option {
		return blocklist.WithEvents(func(_ context.Context, e blocklist.Event) {
			if e.Type == blocklist.EventStoreReset {
				mu.Lock()
				resets[name]++
				mu.Unlock()
			}
		})
	}
	a := newList(t, srv.Client(), events("a"))
	b := newList(t, srv.Client(), events("b"))
	exp := time.Now().Add(10 * time.Minute)
	require.NoError(t, a.RevokeToken(ctx, "by-a", exp))
	require.NoError(t, b.RevokeSession(ctx, "by-b"))
	both := func(l *blocklist.List) bool {
		return isRevoked(l, jwt.Claims{ID: "by-a"}) && isRevoked(l, jwt.Claims{SessionID: "by-b"})
	}
	require.Eventually(t, func() bool { return both(a) && both(b) }, eventually, time.Millisecond)

	srv.Restart() // an empty server on the same port

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return resets["a"] >= 1 && resets["b"] >= 1
	}, eventually, 5*time.Millisecond, "both replicas notice the data loss")
	require.Eventually(t, func() bool { return both(a) && both(b) }, eventually, time.Millisecond,
		"and keep enforcing what they knew")

	c := newList(t, srv.Client())
	require.Eventually(t, func() bool { return both(c) }, eventually, time.Millisecond,
		"each revoker republished its own revocations, so a replica started after the restart has them")

	require.NoError(t, a.RevokeToken(ctx, "after-restart", exp))
	require.Eventually(t, func() bool { return isRevoked(b, jwt.Claims{ID: "after-restart"}) }, eventually, time.Millisecond,
		"and the feed works again")
}

// TestFailsClosedWhenCutOffFromRedis: a replica whose connection is killed
// and cannot come back answers ErrStale once the staleness bound has passed
// on its (fake) clock, and answers again once Redis is reachable.
func TestFailsClosedWhenCutOffFromRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	var logs syncBuffer
	client, cut := cuttableClient(t, srv.Addr, "replica-stale")
	l := newList(t, client, blocklist.WithClock(clock), blocklist.WithStalenessBound(3*time.Second),
		blocklist.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := l.IsRevoked(ctx, &jwt.Claims{ID: "x"})
	require.NoError(t, err)

	cut.Store(true)
	require.Positive(t, killClients(ctx, t, srv.Client(), "replica-stale"))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "failed") }, eventually, time.Millisecond,
		"the replica noticed it lost Redis")
	advance(2 * time.Second)
	_, err = l.IsRevoked(ctx, &jwt.Claims{ID: "x"})
	require.NoError(t, err, "within the bound")
	advance(2 * time.Second)
	r, err := l.IsRevoked(ctx, &jwt.Claims{ID: "x"})
	require.ErrorIs(t, err, blocklist.ErrStale, "past the bound: fail closed")
	assert.False(t, r)

	cut.Store(false)
	require.Eventually(t, func() bool {
		_, err := l.IsRevoked(ctx, &jwt.Claims{ID: "x"})
		return err == nil
	}, eventually, time.Millisecond, "fresh again once Redis answers")
}

// syncBuffer is a buffer a logger and a test can share.
type syncBuffer = logbuf.Buffer
