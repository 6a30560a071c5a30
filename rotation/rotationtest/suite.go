package rotationtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Factory returns a new, empty Store for one subtest. Stores returned by
// different calls must not share families (e.g. a fresh key prefix each).
type Factory func(t *testing.T) rotation.Store

// Trials is the number of rounds of the concurrency cases, each with
// Presenters goroutines presenting one token at once.
const (
	Trials     = 300
	Presenters = 64
)

// T0 is where the suite's fake clocks start.
var T0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Key is the MAC key of the suite's Rotators. Never use it outside tests.
var Key = []byte("rotationtest: not a secret, never use in production")

// Run runs the conformance suite against the stores made by factory. Each
// case is a named subtest with its own store and a 60 s deadline.
func Run(t *testing.T, factory Factory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s rotation.Store)
	}{
		{"Store/CreateAndGet", testCreateAndGet},
		{"Store/CreateNeverOverwrites", testCreateNeverOverwrites},
		{"Store/TombstoneBlocksCreate", testTombstoneBlocksCreate},
		{"Store/GetMissing", testGetMissing},
		{"Store/ExchangeRotates", testExchangeRotates},
		{"Store/ExchangeNotFound", testExchangeNotFound},
		{"Store/ExchangeMismatchChangesNothing", testExchangeMismatch},
		{"Store/ExchangeReuseRevokes", testExchangeReuse},
		{"Store/GraceOnlyForPreviousAndSameSuccessor", testStoreGrace},
		{"Store/RevokedBeatsGrace", testRevokedBeatsGrace},
		{"Store/NoGraceEvenWithClockBehind", testNoGraceClockBehind},
		{"Store/IdleExpiry", testStoreIdleExpiry},
		{"Store/AbsoluteExpiryCapsIdle", testStoreAbsoluteExpiry},
		{"Store/RevokeIdempotent", testRevokeIdempotent},
		{"Store/SubjectIndex", testSubjectIndex},
		{"Store/CanceledContext", testCanceledContext},
		{"Store/NoAliasing", testNoAliasing},
		{"Rotator/IssueAndRefreshCarryClaims", testIssueRefreshClaims},
		{"Rotator/ConcurrentExchangeOneWinner", testConcurrentNoGrace},
		{"Rotator/ConcurrentExchangeWithinGraceSameSuccessor", testConcurrentGrace},
		{"Rotator/TwoRotatorsRacing", testTwoRotators},
		{"Rotator/AncestorReplayIsReuse", testAncestorReplay},
		{"Rotator/GraceEnds", testGraceEnds},
		{"Rotator/NoGraceWithSkewedInstance", testNoGraceSkewed},
		{"Rotator/ReuseRevokesFamilyAndSession", testReuseRevokes},
		{"Rotator/RevokeBeforeExchangeCompletes", testRevokeRacesExchange},
		{"Rotator/RevokeRacingExchanges", testRevokeRacingExchanges},
		{"Rotator/IdleExpirySlides", testIdleExpiry},
		{"Rotator/AbsoluteExpiryNotReanchored", testAbsoluteExpiry},
		{"Rotator/ConsumedTokenRemembered", testConsumedRemembered},
		{"Rotator/InvalidTokensNeverReachStore", testInvalidTokens},
		{"Rotator/Logout", testLogout},
		{"Rotator/RevokeSubject", testRevokeSubject},
		{"Rotator/RevokeSubjectRacingLogin", testRevokeSubjectRacingLogin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := factory(t)
			require.NotNil(t, s, "factory returned nil")
			c.fn(t, ctx, s)
		})
	}
}

// ---- helpers ----

func randomHash(t *testing.T) rotation.Hash {
	var b [32]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return sha256.Sum256(b[:])
}

// familyID returns a fresh id shaped like the Rotator's (16 random bytes,
// base64url).
func familyID(t *testing.T) string {
	var b [16]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newFamily(t *testing.T, now time.Time) rotation.Family {
	return rotation.Family{
		ID: familyID(t), Subject: "user-1", SessionID: "sid-1",
		Claims: []byte(`{"sub":"user-1","sid":"sid-1"}`), Current: randomHash(t),
		CreatedAt: now, RotatedAt: now,
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(24 * time.Hour),
	}
}

func assertTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	assert.Truef(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
}

func exchange(f *rotation.Family, gen uint64, presented, next rotation.Hash, now time.Time, grace time.Duration) rotation.ExchangeRequest {
	return rotation.ExchangeRequest{FamilyID: f.ID, Generation: gen, Presented: presented, Next: next,
		Now: now, IdleTTL: time.Hour, Grace: grace}
}

// ---- store cases ----

func testCreateAndGet(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	got, found, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, f.ID, got.ID)
	assert.Equal(t, f.Subject, got.Subject)
	assert.Equal(t, f.SessionID, got.SessionID)
	assert.Equal(t, f.Claims, got.Claims)
	assert.Equal(t, f.Current, got.Current)
	assert.Equal(t, uint64(0), got.Generation)
	assertTime(t, f.CreatedAt, got.CreatedAt, "CreatedAt")
	assertTime(t, f.RotatedAt, got.RotatedAt, "RotatedAt")
	assertTime(t, f.IdleExpiresAt, got.IdleExpiresAt, "IdleExpiresAt")
	assertTime(t, f.ExpiresAt, got.ExpiresAt, "ExpiresAt")
	assert.False(t, got.Revoked)
}

func testCreateNeverOverwrites(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	g := f
	g.Subject, g.Current = "attacker", randomHash(t)
	err := s.Create(ctx, g, T0)
	require.Error(t, err)
	assert.ErrorIs(t, err, rotation.ErrStore)
	assert.NotErrorIs(t, err, rotation.ErrRevoked)
	got, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.Equal(t, "user-1", got.Subject)
	assert.Equal(t, f.Current, got.Current)
}

func testTombstoneBlocksCreate(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	_, st, err := s.Revoke(ctx, f.ID, rotation.ReasonSubject, T0, T0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, rotation.RevokeTombstone, st)
	err = s.Create(ctx, f, T0)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	_, found, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.False(t, found, "a tombstone is not a family")
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), T0, 0))
	require.NoError(t, err)
	assert.Contains(t, []rotation.Outcome{rotation.OutcomeRevoked, rotation.OutcomeNotFound}, res.Outcome)
	// Revoking a tombstone again is still a tombstone, not an error.
	_, st, err = s.Revoke(ctx, f.ID, rotation.ReasonFamily, T0, T0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, rotation.RevokeTombstone, st)
}

func testGetMissing(t *testing.T, ctx context.Context, s rotation.Store) {
	_, found, err := s.Get(ctx, familyID(t))
	require.NoError(t, err)
	assert.False(t, found)
}

func testExchangeRotates(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	next := randomHash(t)
	now := T0.Add(10 * time.Minute)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, next, now, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)
	assert.Equal(t, uint64(1), res.Family.Generation)
	assert.Equal(t, next, res.Family.Current)
	assert.Equal(t, f.Claims, res.Family.Claims)
	assert.Equal(t, f.SessionID, res.Family.SessionID)
	assert.Equal(t, f.Subject, res.Family.Subject)
	assertTime(t, now, res.Family.RotatedAt, "RotatedAt")
	assertTime(t, now.Add(time.Hour), res.Family.IdleExpiresAt, "IdleExpiresAt slides")
	assertTime(t, f.ExpiresAt, res.Family.ExpiresAt, "ExpiresAt fixed")
	got, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), got.Generation)
	assert.Equal(t, next, got.Current)

	next2 := randomHash(t)
	res, err = s.Exchange(ctx, exchange(&f, 1, next, next2, now.Add(time.Minute), 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)
	assert.Equal(t, uint64(2), res.Family.Generation)
}

func testExchangeNotFound(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), T0, 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeNotFound, res.Outcome)
}

func testExchangeMismatch(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	for name, req := range map[string]rotation.ExchangeRequest{
		"wrong hash at head":     exchange(&f, 0, randomHash(t), randomHash(t), T0, 0),
		"generation from future": exchange(&f, 5, f.Current, randomHash(t), T0, 0),
	} {
		res, err := s.Exchange(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, rotation.OutcomeMismatch, res.Outcome, name)
	}
	next := randomHash(t)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, next, T0, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome, "mismatches changed nothing")
	// The previous generation with a hash that was never its own is no
	// token of the family: no revocation on its account.
	res, err = s.Exchange(ctx, exchange(&f, 0, randomHash(t), randomHash(t), T0, time.Minute))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeMismatch, res.Outcome)
	res, err = s.Exchange(ctx, exchange(&f, 0, randomHash(t), randomHash(t), T0, 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeMismatch, res.Outcome)
	got, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.False(t, got.Revoked)
}

func testExchangeReuse(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	next := randomHash(t)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, next, T0, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)

	now := T0.Add(time.Second)
	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), now, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeReused, res.Outcome)
	assert.True(t, res.Family.Revoked)
	assert.Equal(t, rotation.ReasonReuse, res.Family.RevokeReason)
	assert.Equal(t, f.SessionID, res.Family.SessionID, "the caller needs the sid to revoke")
	assert.Equal(t, uint64(1), res.Family.Generation)

	got, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.True(t, got.Revoked)
	assert.Equal(t, rotation.ReasonReuse, got.RevokeReason)
	assertTime(t, now, got.RevokedAt, "RevokedAt")

	res, err = s.Exchange(ctx, exchange(&f, 1, next, randomHash(t), now, 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeRevoked, res.Outcome, "the newest token dies with its family")
}

func testStoreGrace(t *testing.T, ctx context.Context, s rotation.Store) {
	const grace = 10 * time.Second
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	h1, h2 := randomHash(t), randomHash(t)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, h1, T0, grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)

	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, h1, T0.Add(grace-time.Millisecond), grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeGrace, res.Outcome)
	assert.Equal(t, uint64(1), res.Family.Generation)
	assert.Equal(t, h1, res.Family.Current, "grace changes nothing")

	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), T0.Add(time.Second), grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeMismatch, res.Outcome, "a grace replay must not fork the family")

	res, err = s.Exchange(ctx, exchange(&f, 1, h1, h2, T0.Add(2*time.Second), grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome, "the head still rotates")

	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, h1, T0.Add(3*time.Second), grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeReused, res.Outcome, "two generations back is reuse, grace or not")
}

// A grace window must be measured from the rotation, never from a time the
// revocation also touches: after reuse is detected, nothing gets through.
func testRevokedBeatsGrace(t *testing.T, ctx context.Context, s rotation.Store) {
	const grace = time.Minute
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	h1, h2 := randomHash(t), randomHash(t)
	for gen, p := range []struct{ presented, next rotation.Hash }{{f.Current, h1}, {h1, h2}} {
		res, err := s.Exchange(ctx, exchange(&f, uint64(gen), p.presented, p.next, T0, grace))
		require.NoError(t, err)
		require.Equal(t, rotation.OutcomeRotated, res.Outcome)
	}
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, h1, T0.Add(time.Millisecond), grace))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeReused, res.Outcome)
	res, err = s.Exchange(ctx, exchange(&f, 1, h1, h2, T0.Add(2*time.Millisecond), grace))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeRevoked, res.Outcome, "the just-rotated token within grace")
	res, err = s.Exchange(ctx, exchange(&f, 2, h2, randomHash(t), T0.Add(2*time.Millisecond), grace))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeRevoked, res.Outcome, "the head")
}

// Without a grace period, a second presentation is reuse even when the
// caller's clock is behind the rotation (another instance's clock, or a
// wall clock stepped back): "now - rotated" is then negative, which is
// below a grace of 0 but must not open a window.
func testNoGraceClockBehind(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	next := randomHash(t)
	rotatedAt := T0.Add(time.Minute)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, next, rotatedAt, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)
	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, next, rotatedAt.Add(-time.Second), 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeReused, res.Outcome, "grace 0 is strict whatever the clocks say")
	assert.True(t, res.Family.Revoked)
}

func testStoreIdleExpiry(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), f.IdleExpiresAt, 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeExpired, res.Outcome, "at the idle expiry")
	res, err = s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), f.IdleExpiresAt.Add(-time.Millisecond), 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeRotated, res.Outcome, "just before")
}

func testStoreAbsoluteExpiry(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	f.ExpiresAt = T0.Add(90 * time.Minute)
	require.NoError(t, s.Create(ctx, f, T0))
	now := T0.Add(59 * time.Minute)
	h := randomHash(t)
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, h, now, 0))
	require.NoError(t, err)
	require.Equal(t, rotation.OutcomeRotated, res.Outcome)
	assertTime(t, f.ExpiresAt, res.Family.IdleExpiresAt, "idle expiry capped at the absolute one")
	res, err = s.Exchange(ctx, exchange(&f, 1, h, randomHash(t), f.ExpiresAt, 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeExpired, res.Outcome)
}

func testRevokeIdempotent(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	require.NoError(t, s.Create(ctx, f, T0))
	got, st, err := s.Revoke(ctx, f.ID, rotation.ReasonLogout, T0.Add(time.Second), T0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, rotation.RevokeDone, st)
	assert.Equal(t, f.SessionID, got.SessionID)
	assert.Equal(t, f.Subject, got.Subject)
	assert.True(t, got.Revoked)
	got, st, err = s.Revoke(ctx, f.ID, rotation.ReasonFamily, T0.Add(2*time.Second), T0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, rotation.RevokeAlready, st)
	assert.Equal(t, rotation.ReasonLogout, got.RevokeReason, "the first reason stays")
	assertTime(t, T0.Add(time.Second), got.RevokedAt, "RevokedAt")
	res, err := s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), T0.Add(3*time.Second), 0))
	require.NoError(t, err)
	assert.Equal(t, rotation.OutcomeRevoked, res.Outcome)
}

func testSubjectIndex(t *testing.T, ctx context.Context, s rotation.Store) {
	sub := "subject-" + familyID(t)
	ids, err := s.SubjectFamilies(ctx, sub, T0)
	require.NoError(t, err)
	assert.Empty(t, ids)
	a, b, c := familyID(t), familyID(t), familyID(t)
	require.NoError(t, s.AddToSubject(ctx, sub, a, T0.Add(time.Hour), T0))
	require.NoError(t, s.AddToSubject(ctx, sub, b, T0.Add(2*time.Hour), T0))
	require.NoError(t, s.AddToSubject(ctx, "other-"+sub, c, T0.Add(2*time.Hour), T0))
	ids, err = s.SubjectFamilies(ctx, sub, T0)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a, b}, ids)
	ids, err = s.SubjectFamilies(ctx, sub, T0.Add(time.Hour))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{b}, ids, "expired entries are not listed")
	require.NoError(t, s.RemoveFromSubject(ctx, sub, []string{b, "missing"}))
	ids, err = s.SubjectFamilies(ctx, sub, T0)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a}, ids)
	// Subjects are arbitrary strings: braces and spaces too.
	odd := "{weird} sub}" + familyID(t)
	require.NoError(t, s.AddToSubject(ctx, odd, c, T0.Add(time.Hour), T0))
	ids, err = s.SubjectFamilies(ctx, odd, T0)
	require.NoError(t, err)
	assert.Equal(t, []string{c}, ids)
}

func testCanceledContext(t *testing.T, _ context.Context, s rotation.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := newFamily(t, T0)
	assert.ErrorIs(t, s.Create(ctx, f, T0), rotation.ErrStore)
	_, err := s.Exchange(ctx, exchange(&f, 0, f.Current, randomHash(t), T0, 0))
	assert.ErrorIs(t, err, rotation.ErrStore)
	_, _, err = s.Revoke(ctx, f.ID, rotation.ReasonFamily, T0, T0)
	assert.ErrorIs(t, err, rotation.ErrStore)
	_, _, err = s.Get(ctx, f.ID)
	assert.ErrorIs(t, err, rotation.ErrStore)
	assert.ErrorIs(t, s.AddToSubject(ctx, "s", f.ID, T0, T0), rotation.ErrStore)
	_, err = s.SubjectFamilies(ctx, "s", T0)
	assert.ErrorIs(t, err, rotation.ErrStore)
	assert.ErrorIs(t, s.RemoveFromSubject(ctx, "s", []string{f.ID}), rotation.ErrStore)
}

func testNoAliasing(t *testing.T, ctx context.Context, s rotation.Store) {
	f := newFamily(t, T0)
	claims := slices.Clone(f.Claims)
	require.NoError(t, s.Create(ctx, f, T0))
	f.Claims[0] = 'X'
	got, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.Equal(t, claims, got.Claims, "the store kept the caller's slice")
	got.Claims[0] = 'Y'
	again, _, err := s.Get(ctx, f.ID)
	require.NoError(t, err)
	assert.Equal(t, claims, again.Claims, "the store handed out its own slice")
}

// ---- Rotator cases ----

type recorder struct {
	mu     sync.Mutex
	sids   []string
	events []rotation.Event
}

func (r *recorder) RevokeSession(_ context.Context, sid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sids = append(r.sids, sid)
	return nil
}

func (r *recorder) event(_ context.Context, e rotation.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) revokedSIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sids)
}

func (r *recorder) count(typ rotation.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

type env struct {
	clock  *Clock
	issuer *Issuer
	rec    *recorder
	rot    *rotation.Rotator
}

func newEnv(t *testing.T, s rotation.Store, opts ...rotation.Option) *env {
	e := &env{clock: NewClock(T0), rec: &recorder{}}
	e.issuer = &Issuer{Now: e.clock.Now}
	all := append([]rotation.Option{
		rotation.WithMACKey(Key), rotation.WithClock(e.clock.Now),
		rotation.WithRevoker(e.rec), rotation.WithEvents(e.rec.event),
	}, opts...)
	rot, err := rotation.New(s, e.issuer, all...)
	require.NoError(t, err)
	e.rot = rot
	return e
}

func login(t *testing.T, ctx context.Context, rot *rotation.Rotator, sub string) *rotation.Pair {
	t.Helper()
	p, err := rot.Issue(ctx, jwt.Claims{Subject: sub})
	require.NoError(t, err)
	return p
}

func testIssueRefreshClaims(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	c := jwt.Claims{Subject: "alice", Scope: "read write", Roles: []string{"admin"}, ClientID: "spa",
		Audience: []string{"api"}, Extra: map[string]any{"tenant": "t1", "n": 42}}
	p, err := e.rot.Issue(ctx, c)
	require.NoError(t, err)
	assert.NotEmpty(t, p.FamilyID)
	assert.Contains(t, p.AccessToken, "at."+p.FamilyID+".", "sid defaults to the family id")
	assertTime(t, T0.Add(rotation.DefaultRefreshTTL), p.RefreshExpiresAt, "RefreshExpiresAt")
	f, found, err := s.Get(ctx, p.FamilyID)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "alice", f.Subject)
	assert.Equal(t, p.FamilyID, f.SessionID)
	assert.NotContains(t, string(f.Claims), p.RefreshToken)

	e.clock.Advance(time.Hour)
	q, err := e.rot.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, p.FamilyID, q.FamilyID)
	assert.NotEqual(t, p.RefreshToken, q.RefreshToken)
	assertTime(t, T0.Add(time.Hour+rotation.DefaultRefreshTTL), q.RefreshExpiresAt, "idle expiry slid")
	assertTime(t, T0.Add(time.Hour+10*time.Minute), q.AccessExpiresAt, "AccessExpiresAt from the issuer")

	// An explicit SessionID is the sid of every access token of the family.
	p2, err := e.rot.Issue(ctx, jwt.Claims{Subject: "alice", SessionID: "web-session-7"})
	require.NoError(t, err)
	assert.Contains(t, p2.AccessToken, "at.web-session-7.")
	q2, err := e.rot.Refresh(ctx, p2.RefreshToken)
	require.NoError(t, err)
	assert.Contains(t, q2.AccessToken, "at.web-session-7.")
}

// race runs n calls of fn at once (released together) and returns their
// results.
func race[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

type outcome struct {
	pair *rotation.Pair
	err  error
}

func testConcurrentNoGrace(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	for trial := range Trials {
		p := login(t, ctx, e.rot, fmt.Sprintf("user-%d", trial))
		res := race(Presenters, func(int) outcome {
			q, err := e.rot.Refresh(ctx, p.RefreshToken)
			return outcome{q, err}
		})
		var won []*rotation.Pair
		reused, revoked := 0, 0
		for _, r := range res {
			switch {
			case r.err == nil:
				won = append(won, r.pair)
			case errors.Is(r.err, rotation.ErrReused):
				reused++
			case errors.Is(r.err, rotation.ErrRevoked):
				revoked++
			default:
				t.Fatalf("trial %d: unexpected error %v", trial, r.err)
			}
		}
		require.Lenf(t, won, 1, "trial %d: exactly one exchange may win", trial)
		require.Equalf(t, 1, reused, "trial %d: exactly one reuse detection", trial)
		require.Equalf(t, Presenters-2, revoked, "trial %d", trial)
		_, err := e.rot.Refresh(ctx, won[0].RefreshToken)
		require.ErrorIsf(t, err, rotation.ErrRevoked, "trial %d: the winner's successor dies with the family", trial)
	}
	assert.Equal(t, Trials, e.rec.count(rotation.EventReuseDetected), "one reuse event per family")
	assert.Equal(t, Trials, e.rec.count(rotation.EventRotated))
	// Every family's sid reached the Revoker (presentations after the
	// reuse send it again, which the Revoker must take idempotently).
	sids := map[string]bool{}
	for _, sid := range e.rec.revokedSIDs() {
		sids[sid] = true
	}
	assert.Len(t, sids, Trials)
}

func testConcurrentGrace(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s, rotation.WithGracePeriod(10*time.Second))
	for trial := range Trials {
		p := login(t, ctx, e.rot, fmt.Sprintf("user-%d", trial))
		res := race(Presenters, func(int) outcome {
			q, err := e.rot.Refresh(ctx, p.RefreshToken)
			return outcome{q, err}
		})
		tokens := map[string]int{}
		for _, r := range res {
			require.NoErrorf(t, r.err, "trial %d: within grace every presenter succeeds", trial)
			tokens[r.pair.RefreshToken]++
		}
		require.Lenf(t, tokens, 1, "trial %d: all presenters get the same successor", trial)
		for tok := range tokens {
			q, err := e.rot.Refresh(ctx, tok)
			require.NoErrorf(t, err, "trial %d: the shared successor is the live head", trial)
			_, err = e.rot.Refresh(ctx, p.RefreshToken)
			require.ErrorIsf(t, err, rotation.ErrReused, "trial %d: two generations back", trial)
			_, err = e.rot.Refresh(ctx, q.RefreshToken)
			require.ErrorIs(t, err, rotation.ErrRevoked)
		}
	}
	assert.Equal(t, Trials*(Presenters-1), e.rec.count(rotation.EventGraceReplay))
}

func testTwoRotators(t *testing.T, ctx context.Context, s rotation.Store) {
	a, b := newEnv(t, s), newEnv(t, s)
	for trial := range Trials / 3 {
		p := login(t, ctx, a.rot, fmt.Sprintf("user-%d", trial))
		res := race(Presenters, func(i int) outcome {
			rot := a.rot
			if i%2 == 1 {
				rot = b.rot
			}
			q, err := rot.Refresh(ctx, p.RefreshToken)
			return outcome{q, err}
		})
		wins := 0
		for _, r := range res {
			if r.err == nil {
				wins++
			} else {
				require.Truef(t, errors.Is(r.err, rotation.ErrReused) || errors.Is(r.err, rotation.ErrRevoked), "trial %d: %v", trial, r.err)
			}
		}
		require.Equalf(t, 1, wins, "trial %d: one winner across both instances", trial)
	}
	// Another key is another server: its tokens are garbage here.
	other := NewClock(T0)
	rot, err := rotation.New(rotation.NewMemoryStore(), &Issuer{Now: other.Now},
		rotation.WithMACKey([]byte("another server key, 32+ bytes long!!")), rotation.WithClock(other.Now))
	require.NoError(t, err)
	p := login(t, ctx, rot, "mallory")
	_, err = a.rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrInvalidToken)
}

func testAncestorReplay(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s, rotation.WithGracePeriod(30*time.Second))
	p0 := login(t, ctx, e.rot, "bob")
	p1, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	again, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err, "the immediate predecessor within grace")
	assert.Equal(t, p1.RefreshToken, again.RefreshToken, "same successor, no fork")
	e.clock.Advance(time.Second)
	p2, err := e.rot.Refresh(ctx, p1.RefreshToken)
	require.NoError(t, err)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused, "two generations back, within grace")
	_, err = e.rot.Refresh(ctx, p2.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	_, err = e.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "the grace window does not survive a revocation")
}

func testGraceEnds(t *testing.T, ctx context.Context, s rotation.Store) {
	const grace = 5 * time.Second
	e := newEnv(t, s, rotation.WithGracePeriod(grace))
	p0 := login(t, ctx, e.rot, "carol")
	p1, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	e.clock.Advance(grace - time.Millisecond)
	q, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, p1.RefreshToken, q.RefreshToken)
	e.clock.Advance(time.Millisecond)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused, "after the grace period")
	_, err = e.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
}

// Two instances whose clocks differ: without a grace period, the token
// one of them rotated is reuse on the other, even if that one's clock is
// behind.
func testNoGraceSkewed(t *testing.T, ctx context.Context, s rotation.Store) {
	ahead, behind := newEnv(t, s), newEnv(t, s)
	ahead.clock.Advance(2 * time.Second)
	p0 := login(t, ctx, ahead.rot, "skew")
	_, err := ahead.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	q, err := behind.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused, "replay through the instance whose clock is behind")
	assert.Nil(t, q)
}

func testReuseRevokes(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	p0, err := e.rot.Issue(ctx, jwt.Claims{Subject: "dave", SessionID: "sess-dave"})
	require.NoError(t, err)
	p1, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	assert.Equal(t, []string{"sess-dave"}, e.rec.revokedSIDs(), "the family's sid goes to the Revoker")
	assert.Equal(t, 1, e.rec.count(rotation.EventReuseDetected))
	_, err = e.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "the newest token is refused too")
	f, found, err := s.Get(ctx, p0.FamilyID)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, f.Revoked)
	assert.Equal(t, rotation.ReasonReuse, f.RevokeReason)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "a second replay is not a second reuse event")
	assert.Equal(t, 1, e.rec.count(rotation.EventReuseDetected))
}

// pausingStore holds an Exchange between the store's decision and the
// Rotator's reply, to put a revocation exactly there.
type pausingStore struct {
	rotation.Store
	decided chan struct{}
	resume  chan struct{}
}

func (p *pausingStore) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	res, err := p.Store.Exchange(ctx, req)
	close(p.decided)
	<-p.resume
	return res, err
}

func testRevokeRacesExchange(t *testing.T, ctx context.Context, s rotation.Store) {
	ps := &pausingStore{Store: s, decided: make(chan struct{}), resume: make(chan struct{})}
	e := newEnv(t, ps)
	p := login(t, ctx, e.rot, "erin")
	done := make(chan outcome, 1)
	go func() {
		q, err := e.rot.Refresh(ctx, p.RefreshToken)
		done <- outcome{q, err}
	}()
	<-ps.decided
	require.NoError(t, e.rot.RevokeFamily(ctx, p.FamilyID))
	close(ps.resume)
	r := <-done
	require.NoError(t, r.err, "the exchange was decided before the revocation")
	_, err := newEnv(t, s).rot.Refresh(ctx, r.pair.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "the child minted in flight must be refused")
}

func testRevokeRacingExchanges(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	for trial := range Trials / 3 {
		p := login(t, ctx, e.rot, fmt.Sprintf("user-%d", trial))
		res := race(2, func(i int) outcome {
			if i == 0 {
				q, err := e.rot.Refresh(ctx, p.RefreshToken)
				return outcome{q, err}
			}
			return outcome{err: e.rot.RevokeFamily(ctx, p.FamilyID)}
		})
		require.NoError(t, res[1].err)
		if res[0].err != nil {
			require.ErrorIsf(t, res[0].err, rotation.ErrRevoked, "trial %d", trial)
			continue
		}
		_, err := e.rot.Refresh(ctx, res[0].pair.RefreshToken)
		require.ErrorIsf(t, err, rotation.ErrRevoked, "trial %d: child of a racing exchange", trial)
	}
}

func testIdleExpiry(t *testing.T, ctx context.Context, s rotation.Store) {
	const idle = 24 * time.Hour
	e := newEnv(t, s, rotation.WithRefreshTTL(idle), rotation.WithFamilyLifetime(10*idle))
	p := login(t, ctx, e.rot, "frank")
	for range 3 { // each rotation slides the idle expiry
		e.clock.Advance(idle - time.Millisecond)
		q, err := e.rot.Refresh(ctx, p.RefreshToken)
		require.NoError(t, err)
		assertTime(t, e.clock.Now().Add(idle), q.RefreshExpiresAt, "RefreshExpiresAt")
		p = q
	}
	e.clock.Advance(idle)
	_, err := e.rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrExpired)
	e.clock.Advance(365 * 24 * time.Hour)
	_, err = e.rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrExpired, "long after, when the record may be gone")
	assert.Empty(t, e.rec.revokedSIDs(), "expiry is not reuse")
}

func testAbsoluteExpiry(t *testing.T, ctx context.Context, s rotation.Store) {
	const idle, life = 24 * time.Hour, 72 * time.Hour
	e := newEnv(t, s, rotation.WithRefreshTTL(idle), rotation.WithFamilyLifetime(life))
	p := login(t, ctx, e.rot, "grace")
	end := T0.Add(life)
	for {
		e.clock.Advance(idle - time.Hour)
		q, err := e.rot.Refresh(ctx, p.RefreshToken)
		if e.clock.Now().Before(end) {
			require.NoError(t, err)
			assert.False(t, q.RefreshExpiresAt.After(end), "never past the absolute expiry")
			p = q
			continue
		}
		require.ErrorIs(t, err, rotation.ErrExpired, "rotation never re-anchors the family lifetime")
		break
	}
}

// A consumed token is remembered as long as the family can live: a replay
// just before the idle expiry is still reuse, never "unknown".
func testConsumedRemembered(t *testing.T, ctx context.Context, s rotation.Store) {
	const idle = 24 * time.Hour
	e := newEnv(t, s, rotation.WithRefreshTTL(idle))
	p0 := login(t, ctx, e.rot, "mia")
	_, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	e.clock.Advance(idle - time.Millisecond)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
}

func testInvalidTokens(t *testing.T, ctx context.Context, s rotation.Store) {
	cs := NewCountingStore(s)
	e := newEnv(t, cs, rotation.WithGracePeriod(time.Minute))
	p := login(t, ctx, e.rot, "heidi")
	q, err := e.rot.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)

	other, err := rotation.New(rotation.NewMemoryStore(), &Issuer{},
		rotation.WithMACKey([]byte("a different server key of 32 bytes+")))
	require.NoError(t, err)
	forged := login(t, ctx, other, "heidi")

	bad := map[string]string{
		"empty":           "",
		"garbage":         "not a token at all",
		"prefix only":     "crt_",
		"truncated":       q.RefreshToken[:len(q.RefreshToken)-1],
		"extended":        q.RefreshToken + "A",
		"huge":            "crt_" + string(make([]byte, 1<<20)),
		"other server":    forged.RefreshToken,
		"access token":    q.AccessToken,
		"wrong prefix":    "xrt_" + q.RefreshToken[4:],
		"padding":         q.RefreshToken[:len(q.RefreshToken)-2] + "==",
		"lowercased":      toLower(q.RefreshToken),
		"family from one": q.RefreshToken[:30] + forged.RefreshToken[30:],
	}
	// Every single-character change anywhere in the token.
	for i := range len(q.RefreshToken) {
		b := []byte(q.RefreshToken)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		bad[fmt.Sprintf("changed at %d", i)] = string(b)
	}
	before := cs.Calls()
	for name, tok := range bad {
		_, err := e.rot.Refresh(ctx, tok)
		require.ErrorIsf(t, err, rotation.ErrInvalidToken, "Refresh(%s)", name)
		require.ErrorIsf(t, e.rot.Revoke(ctx, tok), rotation.ErrInvalidToken, "Revoke(%s)", name)
	}
	assert.Equal(t, before, cs.Calls(), "no invalid token reaches the store")
	require.ErrorIs(t, e.rot.RevokeFamily(ctx, "not-a-family-id"), rotation.ErrInvalidToken)
	require.ErrorIs(t, e.rot.RevokeFamily(ctx, p.FamilyID+"x"), rotation.ErrInvalidToken)
	assert.Equal(t, before, cs.Calls())

	_, err = e.rot.Refresh(ctx, q.RefreshToken)
	require.NoError(t, err, "none of it harmed the real family")
	assert.Empty(t, e.rec.revokedSIDs())
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func testLogout(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	p0 := login(t, ctx, e.rot, "ivan")
	p1, err := e.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	require.NoError(t, e.rot.Revoke(ctx, p1.RefreshToken))
	assert.Equal(t, []string{p0.FamilyID}, e.rec.revokedSIDs())
	assert.Equal(t, 1, e.rec.count(rotation.EventRevoked))
	_, err = e.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	_, err = e.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "a revoked family is no reuse")
	require.NoError(t, e.rot.Revoke(ctx, p0.RefreshToken), "revoking twice is fine")
	require.NoError(t, e.rot.RevokeFamily(ctx, p0.FamilyID))
	assert.Equal(t, 1, e.rec.count(rotation.EventRevoked), "one event per revocation")
	assert.Equal(t, 0, e.rec.count(rotation.EventReuseDetected))

	other := login(t, ctx, e.rot, "ivan")
	_, err = e.rot.Refresh(ctx, other.RefreshToken)
	require.NoError(t, err, "other families of the subject live on")

	// A well-formed id that names nothing is blocked, not an error.
	require.NoError(t, e.rot.RevokeFamily(ctx, familyID(t)))
}

func testRevokeSubject(t *testing.T, ctx context.Context, s rotation.Store) {
	e := newEnv(t, s)
	var judy []*rotation.Pair
	for range 3 {
		judy = append(judy, login(t, ctx, e.rot, "judy"))
	}
	// One of judy's families is already refreshed, one already logged out.
	q, err := e.rot.Refresh(ctx, judy[0].RefreshToken)
	require.NoError(t, err)
	judy[0] = q
	require.NoError(t, e.rot.Revoke(ctx, judy[2].RefreshToken))
	kim := login(t, ctx, e.rot, "kim")

	require.NoError(t, e.rot.RevokeSubject(ctx, "judy"))
	for i, p := range judy {
		_, err := e.rot.Refresh(ctx, p.RefreshToken)
		require.ErrorIsf(t, err, rotation.ErrRevoked, "judy's family %d", i)
	}
	assert.ElementsMatch(t, []string{judy[2].FamilyID, judy[0].FamilyID, judy[1].FamilyID, judy[2].FamilyID}, e.rec.revokedSIDs())
	_, err = e.rot.Refresh(ctx, kim.RefreshToken)
	require.NoError(t, err, "other subjects are untouched")

	fresh := login(t, ctx, e.rot, "judy")
	_, err = e.rot.Refresh(ctx, fresh.RefreshToken)
	require.NoError(t, err, "a login after the revocation is valid")
	require.NoError(t, e.rot.RevokeSubject(ctx, "nobody"))
	require.ErrorIs(t, e.rot.RevokeSubject(ctx, ""), rotation.ErrInvalidClaims)
}

// loginPausingStore holds an Issue between indexing the family under its
// subject and creating it.
type loginPausingStore struct {
	rotation.Store
	indexed chan struct{}
	resume  chan struct{}
}

func (p *loginPausingStore) AddToSubject(ctx context.Context, sub, id string, exp, now time.Time) error {
	err := p.Store.AddToSubject(ctx, sub, id, exp, now)
	close(p.indexed)
	<-p.resume
	return err
}

func testRevokeSubjectRacingLogin(t *testing.T, ctx context.Context, s rotation.Store) {
	ps := &loginPausingStore{Store: s, indexed: make(chan struct{}), resume: make(chan struct{})}
	e := newEnv(t, ps)
	done := make(chan outcome, 1)
	go func() {
		p, err := e.rot.Issue(ctx, jwt.Claims{Subject: "leo"})
		done <- outcome{p, err}
	}()
	<-ps.indexed
	plain := newEnv(t, s)
	require.NoError(t, plain.rot.RevokeSubject(ctx, "leo"))
	close(ps.resume)
	r := <-done
	require.ErrorIs(t, r.err, rotation.ErrRevoked, "a login indexed before the revocation must not survive it")
	assert.Nil(t, r.pair)
	assert.Zero(t, e.issuer.Calls(), "no access token was minted for it")
}
