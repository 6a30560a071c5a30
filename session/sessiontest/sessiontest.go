// Package sessiontest is the conformance suite for session.Store: every Store
// runs Run against a fresh store per case, under a fake clock, and a Store
// that passes needs no further tests of the rules in the session.Store
// contract. It also provides the fake Clock used across session tests.
package sessiontest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
)

// Factory returns a new, empty store for one test case. It registers any
// cleanup with t.
type Factory func(t *testing.T) session.Store

// caseTimeout bounds each case so that a hung store fails instead of
// stalling the whole run.
const caseTimeout = 20 * time.Second

const (
	idle     = 30 * time.Minute
	absolute = 12 * time.Hour
)

// start is the suite's fixed time: near the real present, so that stores
// whose garbage-collection TTLs are relative to now behave normally.
var start = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

type env struct {
	t     *testing.T
	ctx   context.Context
	store session.Store
	clock *Clock
}

// Run runs every case of the suite as a named subtest.
func Run(t *testing.T, newStore Factory) {
	cases := []struct {
		name string
		fn   func(e *env)
	}{
		{"CreateGetRoundTrip", testRoundTrip},
		{"GetUnknownIsNotFound", testGetUnknown},
		{"IdleExpiry", testIdleExpiry},
		{"AbsoluteExpiryNeverExtended", testAbsoluteExpiry},
		{"TouchSlidesIdleExpiry", testTouchSlides},
		{"TouchNeverMovesBackward", testTouchBackward},
		{"TouchDoesNotReviveDeletedOrExpired", testTouchNoRevive},
		{"TouchSetsStepUp", testTouchStepUp},
		{"RekeySwapsSecret", testRekey},
		{"RekeyWithWrongOldHashFails", testRekeyWrongHash},
		{"RekeyConcurrentOneWinner", testRekeyConcurrent},
		{"RekeyReauthenticateClearsStepUp", testRekeyReauth},
		{"DeleteRemovesFromIndex", testDelete},
		{"DeleteUserKeepsOneAndOtherUsers", testDeleteUser},
		{"ListOldestFirstLiveOnly", testList},
		{"IndexConsistentAfterExpiry", testIndexAfterExpiry},
		{"LimitRejectNew", testLimitReject},
		{"LimitEvictOldest", testLimitEvict},
		{"LimitCountsOnlyLiveSessions", testLimitLive},
		{"LimitConcurrentRejectNew", func(e *env) { testLimitConcurrent(e, session.RejectNew) }},
		{"LimitConcurrentEvictOldest", func(e *env) { testLimitConcurrent(e, session.EvictOldest) }},
		{"IndexConsistentUnderConcurrentCreateEvictRevoke", testIndexConcurrent},
		{"NoAliasing", testNoAliasing},
		{"CancelledContext", testCancelled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			c.fn(&env{t: t, ctx: ctx, store: newStore(t), clock: NewClock(start)})
		})
	}
}

// Record returns a fresh record for userID created at now, with the given
// timeouts; its secret is random and thrown away.
func Record(t testing.TB, userID string, now time.Time, idle, absolute time.Duration) session.Record {
	t.Helper()
	id, err := session.NewID(userID)
	require.NoError(t, err)
	var secret [32]byte
	_, _ = rand.Read(secret[:])
	abs := now.Add(absolute)
	ie := now.Add(idle)
	if abs.Before(ie) {
		ie = abs
	}
	return session.Record{
		ID: id, UserID: userID, SecretHash: sha256.Sum256(secret[:]),
		CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now,
		IdleExpiresAt: ie, ExpiresAt: abs,
		IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Mozilla/5.0 (conformance)", Country: "FR",
	}
}

func (e *env) rec(userID string) session.Record {
	return Record(e.t, userID, e.clock.Now(), idle, absolute)
}

func (e *env) create(r session.Record, l session.Limit) []string {
	e.t.Helper()
	ev, err := e.store.Create(e.ctx, e.clock.Now(), r, l)
	require.NoError(e.t, err)
	return ev
}

func (e *env) ids(userID string) []string {
	e.t.Helper()
	list, err := e.store.List(e.ctx, e.clock.Now(), userID)
	require.NoError(e.t, err)
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.ID
	}
	return out
}

func requireGone(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrExpired),
		"want ErrNotFound or ErrExpired, got %v", err)
}

func testRoundTrip(e *env) {
	r := e.rec("alice")
	r.IP = netip.MustParseAddr("2001:db8::7")
	r.UserAgent = "ua with spaces, commas; and ünïcode"
	r.StepUpRequired = true
	e.create(r, session.Limit{})
	got, err := e.store.Get(e.ctx, e.clock.Now(), r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, r, got)

	r2 := e.rec("bob")
	r2.IP = netip.Addr{}
	r2.UserAgent, r2.Country = "", ""
	e.create(r2, session.Limit{})
	got, err = e.store.Get(e.ctx, e.clock.Now(), r2.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, r2, got)
}

func testGetUnknown(e *env) {
	id, err := session.NewID("alice")
	require.NoError(e.t, err)
	_, err = e.store.Get(e.ctx, e.clock.Now(), id)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	for _, bad := range []string{"", "x", "{tag}", id[:20], id + "0", "ZZ" + id[2:]} {
		_, err = e.store.Get(e.ctx, e.clock.Now(), bad)
		require.ErrorIs(e.t, err, session.ErrNotFound, "id %q", bad)
	}
	_, err = e.store.Delete(e.ctx, e.clock.Now(), id)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	err = e.store.Touch(e.ctx, e.clock.Now(), id, session.Touch{LastSeenAt: e.clock.Now()})
	require.ErrorIs(e.t, err, session.ErrNotFound)
	_, err = e.store.Rekey(e.ctx, e.clock.Now(), id, session.Rekey{LastSeenAt: e.clock.Now()})
	require.ErrorIs(e.t, err, session.ErrNotFound)
	ids, err := e.store.DeleteUser(e.ctx, e.clock.Now(), "nobody", "")
	require.NoError(e.t, err)
	require.Empty(e.t, ids)
	require.Empty(e.t, e.ids("nobody"))
}

func testIdleExpiry(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	e.clock.Advance(idle - time.Millisecond)
	_, err := e.store.Get(e.ctx, e.clock.Now(), r.ID)
	require.NoError(e.t, err, "live one millisecond before the idle expiry")
	e.clock.Advance(time.Millisecond)
	got, err := e.store.Get(e.ctx, e.clock.Now(), r.ID)
	requireGone(e.t, err)
	if errors.Is(err, session.ErrExpired) {
		// The Manager checks the secret before it reports expiry.
		require.Equal(e.t, r.ID, got.ID, "ErrExpired comes with the record")
		require.Equal(e.t, r.SecretHash, got.SecretHash, "ErrExpired comes with the record")
	}
	require.Empty(e.t, e.ids("alice"))
}

func testAbsoluteExpiry(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	// Keep the session busy: it must still die at its absolute expiry.
	for e.clock.Now().Before(r.ExpiresAt.Add(-idle)) {
		e.clock.Advance(20 * time.Minute)
		now := e.clock.Now()
		require.NoError(e.t, e.store.Touch(e.ctx, now, r.ID, session.Touch{
			LastSeenAt: now, IdleExpiresAt: now.Add(idle), IP: r.IP, UserAgent: r.UserAgent, Country: r.Country,
		}))
	}
	// A Touch asking for an idle expiry past the absolute one is capped.
	now := e.clock.Now()
	require.NoError(e.t, e.store.Touch(e.ctx, now, r.ID, session.Touch{LastSeenAt: now.Add(time.Millisecond), IdleExpiresAt: r.ExpiresAt.Add(time.Hour)}))
	got, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.True(e.t, got.ExpiresAt.Equal(r.ExpiresAt), "absolute expiry moved")
	require.False(e.t, got.IdleExpiresAt.After(r.ExpiresAt), "idle expiry past the absolute one")
	// Rekey cannot extend it either.
	k, err := e.store.Rekey(e.ctx, now, r.ID, session.Rekey{OldHash: r.SecretHash, NewHash: sha256.Sum256([]byte("n")),
		LastSeenAt: now.Add(2 * time.Millisecond), IdleExpiresAt: r.ExpiresAt.Add(time.Hour), AuthenticatedAt: now})
	require.NoError(e.t, err)
	require.True(e.t, k.ExpiresAt.Equal(r.ExpiresAt))

	e.clock.Advance(r.ExpiresAt.Sub(e.clock.Now()))
	_, err = e.store.Get(e.ctx, e.clock.Now(), r.ID)
	requireGone(e.t, err)
}

func testTouchSlides(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	e.clock.Advance(20 * time.Minute)
	now := e.clock.Now()
	ip := netip.MustParseAddr("198.51.100.4")
	require.NoError(e.t, e.store.Touch(e.ctx, now, r.ID, session.Touch{
		LastSeenAt: now, IdleExpiresAt: now.Add(idle), IP: ip, UserAgent: "new-ua", Country: "DE",
	}))
	e.clock.Advance(20 * time.Minute) // 40m after creation, 20m after the touch
	got, err := e.store.Get(e.ctx, e.clock.Now(), r.ID)
	require.NoError(e.t, err)
	require.True(e.t, got.LastSeenAt.Equal(now))
	require.True(e.t, got.IdleExpiresAt.Equal(now.Add(idle)))
	require.Equal(e.t, ip, got.IP)
	require.Equal(e.t, "new-ua", got.UserAgent)
	require.Equal(e.t, "DE", got.Country)
	require.True(e.t, got.CreatedAt.Equal(r.CreatedAt))
	require.Equal(e.t, r.SecretHash, got.SecretHash)
	e.clock.Advance(10 * time.Minute)
	_, err = e.store.Get(e.ctx, e.clock.Now(), r.ID)
	requireGone(e.t, err)
}

func testTouchBackward(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	t1 := r.CreatedAt.Add(10 * time.Minute)
	t0 := r.CreatedAt.Add(5 * time.Minute)
	require.NoError(e.t, e.store.Touch(e.ctx, t1, r.ID, session.Touch{LastSeenAt: t1, IdleExpiresAt: t1.Add(idle), IP: r.IP, UserAgent: "late"}))
	require.NoError(e.t, e.store.Touch(e.ctx, t1, r.ID, session.Touch{LastSeenAt: t0, IdleExpiresAt: t0.Add(idle), IP: r.IP, UserAgent: "stale"}))
	got, err := e.store.Get(e.ctx, t1, r.ID)
	require.NoError(e.t, err)
	require.True(e.t, got.LastSeenAt.Equal(t1))
	require.True(e.t, got.IdleExpiresAt.Equal(t1.Add(idle)))
	require.Equal(e.t, "late", got.UserAgent)
}

func testTouchNoRevive(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	_, err := e.store.Delete(e.ctx, e.clock.Now(), r.ID)
	require.NoError(e.t, err)
	now := e.clock.Now().Add(time.Second)
	err = e.store.Touch(e.ctx, now, r.ID, session.Touch{LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
	require.ErrorIs(e.t, err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, now, r.ID)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	require.Empty(e.t, e.ids("alice"))

	r2 := e.rec("alice")
	e.create(r2, session.Limit{})
	e.clock.Advance(idle)
	now = e.clock.Now()
	err = e.store.Touch(e.ctx, now, r2.ID, session.Touch{LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
	require.ErrorIs(e.t, err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, now, r2.ID)
	requireGone(e.t, err)
	require.Empty(e.t, e.ids("alice"))
}

func testTouchStepUp(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	now := e.clock.Now().Add(time.Second)
	require.NoError(e.t, e.store.Touch(e.ctx, now, r.ID, session.Touch{LastSeenAt: now, IdleExpiresAt: now.Add(idle), IP: r.IP, UserAgent: r.UserAgent, SetStepUp: true}))
	got, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.True(e.t, got.StepUpRequired)
	// A later Touch without SetStepUp does not clear it.
	later := now.Add(time.Minute)
	require.NoError(e.t, e.store.Touch(e.ctx, later, r.ID, session.Touch{LastSeenAt: later, IdleExpiresAt: later.Add(idle), IP: r.IP}))
	got, err = e.store.Get(e.ctx, later, r.ID)
	require.NoError(e.t, err)
	require.True(e.t, got.StepUpRequired)
}

func testRekey(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	e.clock.Advance(5 * time.Minute)
	now := e.clock.Now()
	newHash := sha256.Sum256([]byte("new secret"))
	got, err := e.store.Rekey(e.ctx, now, r.ID, session.Rekey{OldHash: r.SecretHash, NewHash: newHash, LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
	require.NoError(e.t, err)
	require.Equal(e.t, newHash, got.SecretHash)
	require.True(e.t, got.LastSeenAt.Equal(now))
	require.True(e.t, got.IdleExpiresAt.Equal(now.Add(idle)))
	require.True(e.t, got.AuthenticatedAt.Equal(r.AuthenticatedAt), "a plain rekey keeps AuthenticatedAt")
	require.True(e.t, got.CreatedAt.Equal(r.CreatedAt))
	require.True(e.t, got.ExpiresAt.Equal(r.ExpiresAt))
	stored, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, got, stored)
	require.Equal(e.t, []string{r.ID}, e.ids("alice"))
}

func testRekeyWrongHash(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	now := e.clock.Now()
	_, err := e.store.Rekey(e.ctx, now, r.ID, session.Rekey{OldHash: sha256.Sum256([]byte("guess")), NewHash: sha256.Sum256([]byte("mine")), LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
	require.ErrorIs(e.t, err, session.ErrNotFound)
	got, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, r.SecretHash, got.SecretHash)
}

func testRekeyConcurrent(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	now := e.clock.Now().Add(time.Second)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.store.Rekey(e.ctx, now, r.ID, session.Rekey{OldHash: r.SecretHash, NewHash: sha256.Sum256(fmt.Appendf(nil, "n%d", i)), LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			require.ErrorIs(e.t, err, session.ErrNotFound)
		}
	}
	require.Equal(e.t, 1, wins)
}

func testRekeyReauth(e *env) {
	r := e.rec("alice")
	r.StepUpRequired = true
	e.create(r, session.Limit{})
	e.clock.Advance(time.Hour - 31*time.Minute)
	now := e.clock.Now()
	got, err := e.store.Rekey(e.ctx, now, r.ID, session.Rekey{OldHash: r.SecretHash, NewHash: sha256.Sum256([]byte("x")), LastSeenAt: now, IdleExpiresAt: now.Add(idle), AuthenticatedAt: now})
	require.NoError(e.t, err)
	require.True(e.t, got.AuthenticatedAt.Equal(now))
	require.False(e.t, got.StepUpRequired)
	stored, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.False(e.t, stored.StepUpRequired)
	require.True(e.t, stored.AuthenticatedAt.Equal(now))
}

func testDelete(e *env) {
	a, b := e.rec("alice"), e.rec("alice")
	b.CreatedAt = b.CreatedAt.Add(time.Millisecond)
	e.create(a, session.Limit{})
	e.create(b, session.Limit{})
	got, err := e.store.Delete(e.ctx, e.clock.Now(), a.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, a, got)
	_, err = e.store.Delete(e.ctx, e.clock.Now(), a.ID)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, e.clock.Now(), a.ID)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	require.Equal(e.t, []string{b.ID}, e.ids("alice"))
	// A deleted session no longer counts against the limit.
	e.create(e.rec("alice"), session.Limit{Max: 2, Policy: session.RejectNew})
	require.Len(e.t, e.ids("alice"), 2)
}

func testDeleteUser(e *env) {
	var alice []string
	for i := range 4 {
		r := e.rec("alice")
		r.CreatedAt = r.CreatedAt.Add(time.Duration(i) * time.Millisecond)
		e.create(r, session.Limit{})
		alice = append(alice, r.ID)
	}
	bob := e.rec("bob")
	e.create(bob, session.Limit{})

	ids, err := e.store.DeleteUser(e.ctx, e.clock.Now(), "alice", alice[2])
	require.NoError(e.t, err)
	require.ElementsMatch(e.t, []string{alice[0], alice[1], alice[3]}, ids)
	require.Equal(e.t, []string{alice[2]}, e.ids("alice"))
	for _, id := range ids {
		_, err := e.store.Get(e.ctx, e.clock.Now(), id)
		require.ErrorIs(e.t, err, session.ErrNotFound)
	}
	require.Equal(e.t, []string{bob.ID}, e.ids("bob"))

	ids, err = e.store.DeleteUser(e.ctx, e.clock.Now(), "alice", "")
	require.NoError(e.t, err)
	require.Equal(e.t, []string{alice[2]}, ids)
	require.Empty(e.t, e.ids("alice"))
	_, err = e.store.Get(e.ctx, e.clock.Now(), bob.ID)
	require.NoError(e.t, err)
}

func testList(e *env) {
	var want []session.Record
	for i := range 3 {
		r := e.rec("alice")
		r.CreatedAt = r.CreatedAt.Add(time.Duration(3-i) * time.Second) // created out of order
		r.LastSeenAt, r.AuthenticatedAt = r.CreatedAt, r.CreatedAt
		e.create(r, session.Limit{})
		want = append(want, r)
	}
	e.create(e.rec("bob"), session.Limit{})
	sort.Slice(want, func(i, j int) bool { return want[i].CreatedAt.Before(want[j].CreatedAt) })
	got, err := e.store.List(e.ctx, e.clock.Now(), "alice")
	require.NoError(e.t, err)
	require.Equal(e.t, want, got)
}

func testIndexAfterExpiry(e *env) {
	old := e.rec("alice")
	e.create(old, session.Limit{})
	e.clock.Advance(20 * time.Minute)
	young := e.rec("alice")
	e.create(young, session.Limit{})
	e.clock.Advance(10 * time.Minute) // old idles out, young is 10m old
	require.Equal(e.t, []string{young.ID}, e.ids("alice"))
	ids, err := e.store.DeleteUser(e.ctx, e.clock.Now(), "alice", "")
	require.NoError(e.t, err)
	require.Equal(e.t, []string{young.ID}, ids, "an expired session is not reported as revoked")
}

func testLimitReject(e *env) {
	l := session.Limit{Max: 2, Policy: session.RejectNew}
	a, b := e.rec("alice"), e.rec("alice")
	e.create(a, l)
	e.create(b, l)
	c := e.rec("alice")
	ev, err := e.store.Create(e.ctx, e.clock.Now(), c, l)
	require.ErrorIs(e.t, err, session.ErrLimitReached)
	require.Empty(e.t, ev)
	_, err = e.store.Get(e.ctx, e.clock.Now(), c.ID)
	require.ErrorIs(e.t, err, session.ErrNotFound)
	require.ElementsMatch(e.t, []string{a.ID, b.ID}, e.ids("alice"))
	e.create(e.rec("bob"), l) // the limit is per user
}

func testLimitEvict(e *env) {
	l := session.Limit{Max: 3, Policy: session.EvictOldest}
	var ids []string
	for i := range 3 {
		r := e.rec("alice")
		r.CreatedAt = r.CreatedAt.Add(time.Duration(i) * time.Millisecond)
		require.Empty(e.t, e.create(r, l))
		ids = append(ids, r.ID)
	}
	r := e.rec("alice")
	r.CreatedAt = r.CreatedAt.Add(time.Second)
	require.Equal(e.t, []string{ids[0]}, e.create(r, l))
	_, err := e.store.Get(e.ctx, e.clock.Now(), ids[0])
	require.ErrorIs(e.t, err, session.ErrNotFound)
	require.Equal(e.t, []string{ids[1], ids[2], r.ID}, e.ids("alice"))

	// A lower limit later evicts as many as needed, oldest first.
	r2 := e.rec("alice")
	r2.CreatedAt = r2.CreatedAt.Add(2 * time.Second)
	require.Equal(e.t, []string{ids[1], ids[2], r.ID}, e.create(r2, session.Limit{Max: 1, Policy: session.EvictOldest}))
	require.Equal(e.t, []string{r2.ID}, e.ids("alice"))
}

func testLimitLive(e *env) {
	l := session.Limit{Max: 2, Policy: session.RejectNew}
	e.create(e.rec("alice"), l)
	e.create(e.rec("alice"), l)
	e.clock.Advance(idle)
	// Both expired: they must not count.
	e.create(e.rec("alice"), l)
	e.create(e.rec("alice"), l)
	require.Len(e.t, e.ids("alice"), 2)
	_, err := e.store.Create(e.ctx, e.clock.Now(), e.rec("alice"), l)
	require.ErrorIs(e.t, err, session.ErrLimitReached)
}

func testLimitConcurrent(e *env, policy session.LimitPolicy) {
	const logins, limit = 40, 5
	l := session.Limit{Max: limit, Policy: policy}
	recs := make([]session.Record, logins)
	for i := range recs {
		recs[i] = e.rec("alice")
		recs[i].CreatedAt = recs[i].CreatedAt.Add(time.Duration(i) * time.Millisecond)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok      int
		refused int
		evicted []string
	)
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, err := e.store.Create(e.ctx, e.clock.Now(), recs[i], l)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				evicted = append(evicted, ev...)
			case errors.Is(err, session.ErrLimitReached):
				refused++
			default:
				e.t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	live := e.ids("alice")
	require.Len(e.t, live, limit, "exactly the limit survives")
	switch policy {
	case session.RejectNew:
		require.Equal(e.t, limit, ok)
		require.Equal(e.t, logins-limit, refused)
		require.Empty(e.t, evicted)
	case session.EvictOldest:
		require.Equal(e.t, logins, ok)
		require.Len(e.t, evicted, logins-limit)
		all := append(append([]string(nil), live...), evicted...)
		want := make([]string, len(recs))
		for i, r := range recs {
			want[i] = r.ID
		}
		require.ElementsMatch(e.t, want, all, "every session is either live or reported evicted, once")
		for _, id := range evicted {
			_, err := e.store.Get(e.ctx, e.clock.Now(), id)
			require.ErrorIs(e.t, err, session.ErrNotFound)
		}
	}
}

// testIndexConcurrent races creates that evict against deletes, revocations
// of all but one session, and touches. However they interleave, every
// session ends up either live or removed by exactly one operation (two
// callers never both win a removal), the limit holds, and the index (List)
// agrees with Get about which sessions are live.
func testIndexConcurrent(e *env) {
	const workers, perWorker, limit = 8, 10, 3
	l := session.Limit{Max: limit, Policy: session.EvictOldest}
	bob := e.rec("bob")
	e.create(bob, session.Limit{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		removed = map[string]int{}
	)
	note := func(ids ...string) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			removed[id]++
		}
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				r := e.rec("alice")
				r.CreatedAt = r.CreatedAt.Add(time.Duration(w*perWorker+i) * time.Millisecond)
				now := e.clock.Now()
				ev, err := e.store.Create(e.ctx, now, r, l)
				if err != nil {
					e.t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				created = append(created, r.ID)
				mu.Unlock()
				note(ev...)
				switch i % 4 {
				case 1:
					if _, err := e.store.Delete(e.ctx, now, r.ID); err == nil {
						note(r.ID)
					} else if !errors.Is(err, session.ErrNotFound) {
						e.t.Errorf("delete: %v", err)
					}
				case 2:
					err := e.store.Touch(e.ctx, now, r.ID, session.Touch{LastSeenAt: now, IdleExpiresAt: now.Add(idle), IP: r.IP, UserAgent: r.UserAgent})
					if err != nil && !errors.Is(err, session.ErrNotFound) {
						e.t.Errorf("touch: %v", err)
					}
				case 3:
					ids, err := e.store.DeleteUser(e.ctx, now, "alice", r.ID)
					if err != nil {
						e.t.Errorf("delete user: %v", err)
					}
					note(ids...)
				}
			}
		}()
	}
	wg.Wait()
	require.Len(e.t, created, workers*perWorker)
	live := e.ids("alice")
	require.LessOrEqual(e.t, len(live), limit)
	isLive := map[string]bool{}
	for _, id := range live {
		isLive[id] = true
	}
	for _, id := range created {
		n := removed[id]
		if isLive[id] {
			n++
		}
		require.Equal(e.t, 1, n, "session %s must be live or removed exactly once", id)
		_, err := e.store.Get(e.ctx, e.clock.Now(), id)
		if isLive[id] {
			require.NoError(e.t, err, "listed but not found: %s", id)
		} else {
			require.ErrorIs(e.t, err, session.ErrNotFound, "removed but still found: %s", id)
		}
	}
	require.Equal(e.t, []string{bob.ID}, e.ids("bob"), "another user's index is untouched")
}

func testNoAliasing(e *env) {
	r := e.rec("alice")
	orig := r
	e.create(r, session.Limit{})
	r.UserAgent = "mutated"
	r.SecretHash[0] ^= 0xff
	got, err := e.store.Get(e.ctx, e.clock.Now(), orig.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, orig, got)

	list, err := e.store.List(e.ctx, e.clock.Now(), "alice")
	require.NoError(e.t, err)
	require.Len(e.t, list, 1)
	list[0].UserAgent = "mutated"
	list[0].SecretHash[1] ^= 0xff
	got.Country = "XX"
	again, err := e.store.Get(e.ctx, e.clock.Now(), orig.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, orig, again)
}

func testCancelled(e *env) {
	r := e.rec("alice")
	e.create(r, session.Limit{})
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	now := e.clock.Now()
	check := func(name string, err error) {
		e.t.Helper()
		require.Error(e.t, err, name)
		assert.ErrorIs(e.t, err, context.Canceled, name)
		assert.NotErrorIs(e.t, err, session.ErrNotFound, name)
	}
	_, err := e.store.Create(ctx, now, e.rec("alice"), session.Limit{})
	check("Create", err)
	_, err = e.store.Get(ctx, now, r.ID)
	check("Get", err)
	check("Touch", e.store.Touch(ctx, now, r.ID, session.Touch{LastSeenAt: now.Add(time.Second), IdleExpiresAt: now.Add(idle)}))
	_, err = e.store.Rekey(ctx, now, r.ID, session.Rekey{OldHash: r.SecretHash, NewHash: sha256.Sum256([]byte("x")), LastSeenAt: now, IdleExpiresAt: now.Add(idle)})
	check("Rekey", err)
	_, err = e.store.Delete(ctx, now, r.ID)
	check("Delete", err)
	_, err = e.store.DeleteUser(ctx, now, "alice", "")
	check("DeleteUser", err)
	_, err = e.store.List(ctx, now, "alice")
	check("List", err)
	// Nothing changed.
	got, err := e.store.Get(e.ctx, now, r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, r, got)
	require.Equal(e.t, []string{r.ID}, e.ids("alice"))
}
