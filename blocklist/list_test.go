package blocklist_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/internal/logbuf"
	"github.com/credence-go/credence/jwt"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

const eventually = 10 * time.Second

// noStaleness keeps tests that jump the fake clock by minutes about
// semantics, not about staleness (which has its own tests).
var noStaleness = blocklist.WithStalenessBound(time.Hour)

func newList(t *testing.T, s blocklist.Store, opts ...blocklist.Option) *blocklist.List {
	t.Helper()
	l, err := blocklist.New(s, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func revoked(t *testing.T, l *blocklist.List, c jwt.Claims) bool {
	t.Helper()
	r, err := l.IsRevoked(context.Background(), &c)
	require.NoError(t, err)
	return r
}

func TestRevokeTokenLastsUntilExpiryPlusLeeway(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now), noStaleness, blocklist.WithLeeway(30*time.Second))
	exp := t0.Add(5 * time.Minute)
	require.NoError(t, l.RevokeToken(ctx, "jti-1", exp))

	assert.True(t, revoked(t, l, jwt.Claims{ID: "jti-1", Subject: "alice"}))
	assert.False(t, revoked(t, l, jwt.Claims{ID: "jti-2", Subject: "alice"}), "another token of the same subject")
	assert.False(t, revoked(t, l, jwt.Claims{SessionID: "jti-1"}), "a sid equal to a revoked jti is another kind")

	clk.Advance(5*time.Minute + 29*time.Second)
	assert.True(t, revoked(t, l, jwt.Claims{ID: "jti-1"}), "still inside the verifier's leeway")
	clk.Advance(time.Second)
	assert.False(t, revoked(t, l, jwt.Claims{ID: "jti-1"}), "the token has expired beyond the leeway: nothing left to revoke")
}

func TestRevokeSessionCoversEveryTokenOfTheSessionForTheMaxLifetime(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now), noStaleness,
		blocklist.WithMaxTokenLifetime(10*time.Minute), blocklist.WithLeeway(time.Minute))
	require.NoError(t, l.RevokeSession(ctx, "family-7"))

	assert.True(t, revoked(t, l, jwt.Claims{ID: "a", SessionID: "family-7", IssuedAt: t0.Add(-time.Minute)}))
	assert.True(t, revoked(t, l, jwt.Claims{ID: "b", SessionID: "family-7", IssuedAt: t0.Add(time.Minute)}), "minted after the revocation")
	assert.False(t, revoked(t, l, jwt.Claims{ID: "c", SessionID: "family-8"}))

	clk.Advance(11*time.Minute - time.Second)
	assert.True(t, revoked(t, l, jwt.Claims{ID: "a", SessionID: "family-7"}))
	clk.Advance(time.Second)
	assert.False(t, revoked(t, l, jwt.Claims{ID: "a", SessionID: "family-7"}), "gone after max lifetime + leeway")
}

func TestRevokeSubjectWatermarkGranularity(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(400 * time.Millisecond) // the revocation happens inside second t0
	clk := newFakeClock(at)
	l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now), noStaleness)
	require.NoError(t, l.RevokeSubject(ctx, "alice"))

	for _, tc := range []struct {
		name    string
		c       jwt.Claims
		revoked bool
	}{
		{"IssuedEarlier", jwt.Claims{Subject: "alice", IssuedAt: t0.Add(-time.Hour)}, true},
		{"IssuedInTheSameSecondBefore", jwt.Claims{Subject: "alice", IssuedAt: t0}, true},
		{"IssuedInTheSameSecondAfter", jwt.Claims{Subject: "alice", IssuedAt: t0.Add(900 * time.Millisecond)}, true},
		{"IssuedTheNextSecond", jwt.Claims{Subject: "alice", IssuedAt: t0.Add(time.Second)}, false},
		{"NoIssuedAt", jwt.Claims{Subject: "alice"}, true},
		{"AnotherSubject", jwt.Claims{Subject: "bob", IssuedAt: t0.Add(-time.Hour)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.revoked, revoked(t, l, tc.c))
		})
	}

	t.Run("RevokingAgainMovesTheWatermarkForward", func(t *testing.T) {
		clk.Advance(10 * time.Second)
		require.NoError(t, l.RevokeSubject(ctx, "alice"))
		assert.True(t, revoked(t, l, jwt.Claims{Subject: "alice", IssuedAt: t0.Add(5 * time.Second)}))
		assert.False(t, revoked(t, l, jwt.Claims{Subject: "alice", IssuedAt: t0.Add(11 * time.Second)}))
	})
	t.Run("ExpiresAfterMaxLifetimePlusLeeway", func(t *testing.T) {
		clk.Advance(16*time.Minute + time.Second) // the second revocation's 15m + 1m leeway, rounded up
		assert.False(t, revoked(t, l, jwt.Claims{Subject: "alice", IssuedAt: t0}))
	})
}

func TestAnyMatchingKindRevokes(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now))
	require.NoError(t, l.RevokeSession(ctx, "s1"))
	assert.True(t, revoked(t, l, jwt.Claims{ID: "fresh", SessionID: "s1", Subject: "u", IssuedAt: t0}))
	assert.False(t, revoked(t, l, jwt.Claims{ID: "fresh", SessionID: "s2", Subject: "u", IssuedAt: t0}))
}

func TestRevokerSeesItsOwnRevocationAtOnce(t *testing.T) {
	// The feed of a deafStore delivers nothing: only the local apply can
	// make the revocation visible when RevokeToken returns.
	ctx := context.Background()
	l := newList(t, deafStore{blocklist.NewMemoryStore()})
	require.NoError(t, l.RevokeToken(ctx, "mine", time.Now().Add(time.Minute)))
	assert.True(t, revoked(t, l, jwt.Claims{ID: "mine"}))
}

func TestSecondListSeesRevocationThroughTheFeed(t *testing.T) {
	ctx := context.Background()
	store := blocklist.NewMemoryStore()
	a, b := newList(t, store), newList(t, store)
	require.NoError(t, a.RevokeToken(ctx, "j", time.Now().Add(time.Minute)))
	require.NoError(t, b.RevokeSubject(ctx, "bob"))
	require.Eventually(t, func() bool { return revoked(t, b, jwt.Claims{ID: "j"}) }, eventually, time.Millisecond)
	require.Eventually(t, func() bool { return revoked(t, a, jwt.Claims{Subject: "bob"}) }, eventually, time.Millisecond)
}

func TestNewListLoadsExistingRevocations(t *testing.T) {
	ctx := context.Background()
	store := blocklist.NewMemoryStore()
	a := newList(t, store)
	require.NoError(t, a.RevokeToken(ctx, "old", time.Now().Add(time.Minute)))
	b := newList(t, store)
	assert.True(t, revoked(t, b, jwt.Claims{ID: "old"}), "loaded by New's snapshot before it returns")
}

func TestFeedGapsAreRepairedFromSnapshots(t *testing.T) {
	ctx := context.Background()
	mem := blocklist.NewMemoryStore()
	gappy := &gappyStore{Store: mem}
	l := newList(t, gappy)
	writer := newList(t, mem)
	require.NoError(t, writer.RevokeToken(ctx, "late", time.Now().Add(time.Minute)))
	require.Eventually(t, func() bool { return revoked(t, l, jwt.Claims{ID: "late"}) }, eventually, time.Millisecond)
	assert.Positive(t, gappy.gaps.Load())
}

func TestFailsClosedAfterTheStalenessBound(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	l := newList(t, store, blocklist.WithClock(clk.Now), blocklist.WithStalenessBound(time.Second))
	require.NoError(t, l.RevokeToken(ctx, "bad", t0.Add(time.Hour)))

	store.SetDown(true)
	require.Eventually(t, func() bool { return store.failures.Load() > 0 }, eventually, time.Millisecond)
	clk.Advance(time.Second)
	assert.True(t, revoked(t, l, jwt.Claims{ID: "bad"}), "within the bound the replica still answers")
	assert.False(t, revoked(t, l, jwt.Claims{ID: "good"}))

	clk.Advance(time.Millisecond)
	for _, id := range []string{"bad", "good"} {
		r, err := l.IsRevoked(ctx, &jwt.Claims{ID: id})
		require.ErrorIs(t, err, blocklist.ErrStale, "past the bound an unrevoked token is not a pass either")
		assert.False(t, r)
	}

	store.SetDown(false)
	require.Eventually(t, func() bool {
		_, err := l.IsRevoked(ctx, &jwt.Claims{ID: "good"})
		return err == nil
	}, eventually, time.Millisecond, "recovers once the store answers again")
	assert.True(t, revoked(t, l, jwt.Claims{ID: "bad"}))
}

func TestUnsafeFailOpenAnswersFromTheStaleReplicaAndLogs(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	var logs syncBuffer
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	l := newList(t, store, blocklist.WithClock(clk.Now), blocklist.WithStalenessBound(time.Second),
		blocklist.UnsafeFailOpenWhenStale(), blocklist.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, l.RevokeToken(ctx, "bad", t0.Add(time.Hour)))
	store.SetDown(true)
	require.Eventually(t, func() bool { return store.failures.Load() > 0 }, eventually, time.Millisecond)
	clk.Advance(time.Hour - time.Second)
	assert.True(t, revoked(t, l, jwt.Claims{ID: "bad"}))
	assert.False(t, revoked(t, l, jwt.Claims{ID: "good"}))
	assert.Equal(t, 1, strings.Count(logs.String(), "UnsafeFailOpenWhenStale"), "logged once per stale period")
}

func TestNewFailsWhenTheStoreIsUnreachable(t *testing.T) {
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	store.SetDown(true)
	_, err := blocklist.New(store)
	require.ErrorIs(t, err, blocklist.ErrUnavailable)
}

func TestStoreFailureIsAnErrorButStillEnforcedLocally(t *testing.T) {
	ctx := context.Background()
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	l := newList(t, store)
	store.SetDown(true)
	err := l.RevokeToken(ctx, "j", time.Now().Add(time.Minute))
	require.ErrorIs(t, err, blocklist.ErrUnavailable)
	r, _ := l.IsRevoked(ctx, &jwt.Claims{ID: "j"})
	assert.True(t, r, "erring towards revoking on this instance")
}

func TestStoreResetKeepsLocalEntriesAndRepublishesOwnRevocations(t *testing.T) {
	ctx := context.Background()
	store := &resettableStore{s: blocklist.NewMemoryStore()}
	var mu sync.Mutex
	var resets int
	onEvent := func(_ context.Context, e blocklist.Event) {
		if e.Type == blocklist.EventStoreReset {
			mu.Lock()
			resets++
			mu.Unlock()
		}
	}
	a := newList(t, store, blocklist.WithEvents(onEvent))
	b := newList(t, store, blocklist.WithEvents(onEvent))
	exp := time.Now().Add(time.Hour)
	require.NoError(t, a.RevokeToken(ctx, "by-a", exp))
	require.NoError(t, b.RevokeSession(ctx, "by-b"))
	require.Eventually(t, func() bool {
		return revoked(t, a, jwt.Claims{SessionID: "by-b"}) && revoked(t, b, jwt.Claims{ID: "by-a"})
	}, eventually, time.Millisecond)

	store.Reset()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return resets == 2
	}, eventually, time.Millisecond, "both replicas detect the reset")
	for _, l := range []*blocklist.List{a, b} {
		assert.True(t, revoked(t, l, jwt.Claims{ID: "by-a"}), "kept locally")
		assert.True(t, revoked(t, l, jwt.Claims{SessionID: "by-b"}), "kept locally")
	}
	require.Eventually(t, func() bool {
		snap, err := store.Snapshot(ctx, time.Now())
		return err == nil && len(snap.Entries) == 2
	}, eventually, time.Millisecond, "each revoker republished its own revocation")
	c := newList(t, store)
	assert.True(t, revoked(t, c, jwt.Claims{ID: "by-a"}))
	assert.True(t, revoked(t, c, jwt.Claims{SessionID: "by-b"}))
}

func TestEventsAndLogsNameWhoRevokedWhat(t *testing.T) {
	clk := newFakeClock(t0)
	var logs syncBuffer
	var got []blocklist.Event
	l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now),
		blocklist.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		blocklist.WithEvents(func(_ context.Context, e blocklist.Event) { got = append(got, e) }))
	ctx := blocklist.ContextWithActor(context.Background(), "admin:carol")
	require.NoError(t, l.RevokeSubject(ctx, "mallory"))
	require.Len(t, got, 1)
	assert.Equal(t, blocklist.EventRevoked, got[0].Type)
	assert.Equal(t, "admin:carol", got[0].Actor)
	assert.Equal(t, blocklist.KindSubject, got[0].Entry.Kind)
	assert.Equal(t, "mallory", got[0].Entry.ID)
	assert.True(t, got[0].Entry.Watermark.Equal(t0))
	assert.True(t, got[0].Time.Equal(t0))
	assert.Contains(t, logs.String(), "actor=admin:carol")
	assert.Contains(t, logs.String(), "id=mallory")
}

func TestInvalidInputIsATypedError(t *testing.T) {
	ctx := context.Background()
	l := newList(t, blocklist.NewMemoryStore())
	exp := time.Now().Add(time.Minute)
	for name, err := range map[string]error{
		"EmptyJTI":     l.RevokeToken(ctx, "", exp),
		"ZeroExpiry":   l.RevokeToken(ctx, "j", time.Time{}),
		"LongJTI":      l.RevokeToken(ctx, strings.Repeat("j", blocklist.MaxIDLength+1), exp),
		"EmptySession": l.RevokeSession(ctx, ""),
		"EmptySubject": l.RevokeSubject(ctx, ""),
	} {
		assert.ErrorIs(t, err, blocklist.ErrInvalid, name)
	}
	_, err := l.IsRevoked(ctx, nil)
	assert.ErrorIs(t, err, blocklist.ErrInvalid)
}

func TestInvalidOptionsFailNew(t *testing.T) {
	s := blocklist.NewMemoryStore()
	for name, opt := range map[string]blocklist.Option{
		"NilClock":        blocklist.WithClock(nil),
		"ZeroLifetime":    blocklist.WithMaxTokenLifetime(0),
		"HugeLifetime":    blocklist.WithMaxTokenLifetime(25 * time.Hour),
		"NegativeLeeway":  blocklist.WithLeeway(-time.Second),
		"TinyStaleness":   blocklist.WithStalenessBound(time.Millisecond),
		"NilLogger":       blocklist.WithLogger(nil),
		"NilEventHandler": blocklist.WithEvents(nil),
		"NilOption":       nil,
	} {
		_, err := blocklist.New(s, opt)
		assert.ErrorIs(t, err, blocklist.ErrInvalid, name)
	}
	_, err := blocklist.New(nil)
	assert.ErrorIs(t, err, blocklist.ErrInvalid)
}

func TestClosedListRefuses(t *testing.T) {
	ctx := context.Background()
	l, err := blocklist.New(blocklist.NewMemoryStore())
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
	_, err = l.IsRevoked(ctx, &jwt.Claims{ID: "x"})
	assert.ErrorIs(t, err, blocklist.ErrClosed)
	assert.ErrorIs(t, l.RevokeToken(ctx, "x", time.Now().Add(time.Minute)), blocklist.ErrClosed)
}

func TestConcurrentRevokeAndCheck(t *testing.T) {
	ctx := context.Background()
	store := blocklist.NewMemoryStore()
	a, b := newList(t, store), newList(t, store)
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := string(rune('a'+w)) + strings.Repeat("x", i%7) + string(rune('0'+i%10)) + string(rune(i))
				require.NoError(t, a.RevokeToken(ctx, id, exp))
				r, err := a.IsRevoked(ctx, &jwt.Claims{ID: id})
				require.NoError(t, err)
				require.True(t, r)
				_, err = b.IsRevoked(ctx, &jwt.Claims{ID: id, SessionID: "s", Subject: "u"})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

// syncBuffer is a buffer a logger and a test can share.
type syncBuffer = logbuf.Buffer

// TestClockSteppingBackDoesNotMakeAStaleReplicaFresh: the wall clock is
// stepped back an hour (NTP, a restored VM) while the store is down. The
// last contact then lies in the future; the replica must not count that as
// fresh for the next hour, it cannot vouch for anything it has not heard.
func TestClockSteppingBackDoesNotMakeAStaleReplicaFresh(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	l := newList(t, store, blocklist.WithClock(clk.Now), blocklist.WithStalenessBound(time.Second))
	store.SetDown(true)
	require.Eventually(t, func() bool { return store.failures.Load() > 0 }, eventually, time.Millisecond)

	clk.Advance(-time.Hour)
	_, err := l.IsRevoked(ctx, &jwt.Claims{ID: "good"})
	require.ErrorIs(t, err, blocklist.ErrStale)

	store.SetDown(false)
	require.Eventually(t, func() bool {
		_, err := l.IsRevoked(ctx, &jwt.Claims{ID: "good"})
		return err == nil
	}, eventually, time.Millisecond, "fresh again at the next contact, by the new clock")
}
