package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
	"github.com/credence-go/credence/session/sessiontest"
)

// Two instances of a service, each with its own client and Manager, share
// one Redis: what one does, the other sees on its next request.
func TestTwoManagersShareRedis(t *testing.T) {
	onEachTopology(t, func(t *testing.T, newClient func() redis.UniversalClient) {
		clients := [2]redis.UniversalClient{newClient(), newClient()}
		clock := sessiontest.NewClock(time.Now())
		geo := session.NewStaticGeoResolver(map[netip.Prefix]string{
			netip.MustParsePrefix("192.0.2.0/24"):    "FR",
			netip.MustParsePrefix("198.51.100.0/24"): "DE",
		})
		var ms [2]*session.Manager
		for i, rdb := range clients {
			st, err := redisstore.New(rdb)
			require.NoError(t, err)
			ms[i], err = session.NewManager(st, session.WithClock(clock.Now), session.WithGeoResolver(geo),
				session.WithMaxSessions(5, session.RejectNew))
			require.NoError(t, err)
		}
		a, b := ms[0], ms[1]
		ctx := context.Background()
		ci := session.ClientInfo{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "ua"}

		s, token, err := a.Create(ctx, "alice", ci)
		require.NoError(t, err)
		got, err := b.Validate(ctx, token, ci)
		require.NoError(t, err)
		require.Equal(t, s.ID, got.ID)

		// Revocation on A: B refuses the very next request.
		require.NoError(t, a.Revoke(ctx, s.ID))
		_, err = b.Validate(ctx, token, ci)
		require.ErrorIs(t, err, session.ErrNotFound)

		// Renew on B: A refuses the old token at once.
		_, token, err = a.Create(ctx, "alice", ci)
		require.NoError(t, err)
		renewed, err := b.Renew(ctx, token)
		require.NoError(t, err)
		_, err = a.Validate(ctx, token, ci)
		require.ErrorIs(t, err, session.ErrNotFound)
		_, err = a.Validate(ctx, renewed, ci)
		require.NoError(t, err)

		// Anomaly seen by B ends the session for A.
		_, err = b.Validate(ctx, renewed, session.ClientInfo{IP: netip.MustParseAddr("198.51.100.9"), UserAgent: "ua"})
		require.ErrorIs(t, err, session.ErrAnomaly)
		_, err = a.Validate(ctx, renewed, ci)
		require.ErrorIs(t, err, session.ErrNotFound)

		// The limit holds across instances under concurrent logins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, refused := 0, 0
		var tokens []string
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, tok, err := ms[i%2].Create(ctx, "bob", ci)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
					tokens = append(tokens, tok)
				case errors.Is(err, session.ErrLimitReached):
					refused++
				default:
					t.Errorf("create: %v", err)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 5, created)
		require.Equal(t, 35, refused)
		list, err := b.List(ctx, "bob")
		require.NoError(t, err)
		require.Len(t, list, 5)

		// Log out everywhere on B: every token dies on A.
		require.NoError(t, b.RevokeAll(ctx, "bob"))
		for _, tok := range tokens {
			_, err := a.Validate(ctx, tok, ci)
			require.ErrorIs(t, err, session.ErrNotFound)
		}
		list, err = a.List(ctx, "bob")
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

// Idle expiry and lazy index cleanup through a Manager on Redis, under the
// fake clock: nothing sleeps.
func TestExpiryUnderFakeClock(t *testing.T) {
	rdb := redistest.Start(t).Client()
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	clock := sessiontest.NewClock(time.Now())
	m, err := session.NewManager(st, session.WithClock(clock.Now), session.WithMaxSessions(2, session.RejectNew))
	require.NoError(t, err)
	ctx := context.Background()
	ci := session.ClientInfo{UserAgent: "ua"}
	_, tok, err := m.Create(ctx, "alice", ci)
	require.NoError(t, err)
	_, _, err = m.Create(ctx, "alice", ci)
	require.NoError(t, err)
	_, _, err = m.Create(ctx, "alice", ci)
	require.ErrorIs(t, err, session.ErrLimitReached)
	clock.Advance(30 * time.Minute)
	_, err = m.Validate(ctx, tok, ci)
	require.ErrorIs(t, err, session.ErrExpired)
	for i := range 2 {
		_, _, err = m.Create(ctx, "alice", ci)
		require.NoError(t, err, fmt.Sprint("expired sessions no longer count: ", i))
	}
	tag := session.RouteTag("alice")
	n, err := rdb.HLen(ctx, "credence:session:{"+tag+"}:m").Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "expired entries were pruned from the index")
}
