package session_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
)

var alice = session.ClientInfo{IP: paris, UserAgent: "Firefox/140"}

func TestCreateValidate(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	require.Len(t, s.ID, 48)
	require.True(t, strings.HasPrefix(token, s.ID+"."), "the token names its session")
	require.GreaterOrEqual(t, len(token)-len(s.ID)-1, 43, "at least 256 bits of secret")
	require.Equal(t, "FR", s.Country)
	require.Equal(t, f.clock.Now(), s.CreatedAt)
	require.Equal(t, f.clock.Now().Add(30*time.Minute), s.IdleExpiresAt)
	require.Equal(t, f.clock.Now().Add(12*time.Hour), s.ExpiresAt)

	got, err := f.m.Validate(f.ctx, token, alice)
	require.NoError(t, err)
	require.Equal(t, s, got)
	require.Equal(t, []session.EventType{session.EventCreated}, f.rec.types())

	_, t2, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	require.NotEqual(t, token, t2)
}

func TestCreateRejectsBadUserID(t *testing.T) {
	f := newFixture(t)
	for _, uid := range []string{"", strings.Repeat("u", 257), "\xff\xfe"} {
		_, _, err := f.m.Create(f.ctx, uid, alice)
		require.ErrorIs(t, err, session.ErrInvalidInput)
	}
}

// Forged, garbage and tampered tokens are refused with the right error,
// and never touch a session.
func TestForgedTokensRefused(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	_, bobToken, err := f.m.Create(f.ctx, "bob", alice)
	require.NoError(t, err)
	secret := token[len(s.ID)+1:]
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	cases := []struct {
		name, token string
		want        error
	}{
		{"empty", "", session.ErrInvalidToken},
		{"garbage", "hello", session.ErrInvalidToken},
		{"session ID alone", s.ID, session.ErrInvalidToken},
		{"session ID and a dot", s.ID + ".", session.ErrInvalidToken},
		{"too long", token + "A", session.ErrInvalidToken},
		{"truncated", token[:len(token)-1], session.ErrInvalidToken},
		{"uppercase ID", strings.ToUpper(s.ID) + "." + secret, session.ErrInvalidToken},
		{"padding in secret", s.ID + "." + secret[:42] + "=", session.ErrInvalidToken},
		{"non-base64url secret", s.ID + "." + secret[:42] + "+", session.ErrInvalidToken},
		{"no separator", s.ID + "x" + secret, session.ErrInvalidToken},
		{"wrong secret", s.ID + "." + flip(secret, 5), session.ErrNotFound},
		{"secret of another session", s.ID + "." + bobToken[49:], session.ErrNotFound},
		{"unknown session", s.ID[:40] + strings.Repeat("0", 8) + "." + secret, session.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.m.Validate(f.ctx, c.token, alice)
			require.ErrorIs(t, err, c.want)
			_, err = f.m.Renew(f.ctx, c.token)
			require.ErrorIs(t, err, c.want)
			_, err = f.m.Reauthenticate(f.ctx, c.token)
			require.ErrorIs(t, err, c.want)
		})
	}
	// The genuine token still works, and nothing was written for the forgeries.
	_, err = f.m.Validate(f.ctx, token, alice)
	require.NoError(t, err)
	require.Zero(t, f.store.touchCount())
}

func TestIdleTimeoutSlidesWithoutWritingEveryRequest(t *testing.T) {
	f := newFixture(t) // idle 30m, touch interval 1m
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	for range 29 {
		f.clock.Advance(2 * time.Second)
		_, err := f.m.Validate(f.ctx, token, alice)
		require.NoError(t, err)
	}
	require.Zero(t, f.store.touchCount(), "no write within the touch interval")
	f.clock.Advance(2 * time.Second) // a full touch interval since the last write
	s, err := f.m.Validate(f.ctx, token, alice)
	require.NoError(t, err)
	require.Equal(t, 1, f.store.touchCount())
	require.Equal(t, f.clock.Now(), s.LastSeenAt)
	require.Equal(t, f.clock.Now().Add(30*time.Minute), s.IdleExpiresAt)

	f.clock.Advance(30*time.Minute - time.Millisecond)
	_, err = f.m.Validate(f.ctx, token, alice)
	require.NoError(t, err, "the idle expiry slid")
	f.clock.Advance(30 * time.Minute)
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrExpired)
}

func TestAbsoluteTimeoutNeverExtended(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	for f.clock.Now().Before(s.ExpiresAt.Add(-20 * time.Minute)) {
		f.clock.Advance(20 * time.Minute)
		got, err := f.m.Validate(f.ctx, token, alice)
		require.NoError(t, err)
		require.Equal(t, s.ExpiresAt, got.ExpiresAt)
		token, err = f.m.Renew(f.ctx, token)
		require.NoError(t, err)
		token, err = f.m.Reauthenticate(f.ctx, token)
		require.NoError(t, err)
	}
	got, err := f.m.Validate(f.ctx, token, alice)
	require.NoError(t, err)
	require.Equal(t, s.ExpiresAt, got.ExpiresAt)
	require.False(t, got.IdleExpiresAt.After(s.ExpiresAt))
	f.clock.Advance(s.ExpiresAt.Sub(f.clock.Now()))
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrExpired)
}

func TestRenewKillsOldToken(t *testing.T) {
	f := newFixture(t)
	s, old, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	fresh, err := f.m.Renew(f.ctx, old)
	require.NoError(t, err)
	require.NotEqual(t, old, fresh)
	require.True(t, strings.HasPrefix(fresh, s.ID+"."), "same session, new secret")
	_, err = f.m.Validate(f.ctx, old, alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	_, err = f.m.Renew(f.ctx, old)
	require.ErrorIs(t, err, session.ErrNotFound)
	got, err := f.m.Validate(f.ctx, fresh, alice)
	require.NoError(t, err)
	require.Equal(t, s.CreatedAt, got.CreatedAt)
	require.Equal(t, s.AuthenticatedAt, got.AuthenticatedAt, "renew is not a re-authentication")
	require.Contains(t, f.rec.types(), session.EventRenewed)
}

func TestRenewConcurrentOneWinner(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([]error, 20)
	tokens := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], results[i] = f.m.Renew(f.ctx, token)
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range results {
		if err == nil {
			wins++
			_, verr := f.m.Validate(f.ctx, tokens[i], alice)
			require.NoError(t, verr)
		} else {
			require.ErrorIs(t, err, session.ErrNotFound)
		}
	}
	require.Equal(t, 1, wins)
}

func TestRevoke(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	require.NoError(t, f.m.Revoke(f.ctx, s.ID))
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.Equal(t, []string{s.ID}, f.rec.revokedIDs(), "the session's JWTs are revoked by sid")
	require.Len(t, f.rec.of(session.EventRevoked), 1)

	require.NoError(t, f.m.Revoke(f.ctx, s.ID), "idempotent")
	require.ErrorIs(t, f.m.Revoke(f.ctx, "not-an-id"), session.ErrInvalidInput)
}

// A Revoker failure fails the call (the caller must know the JWTs may live
// on), but never keeps the session alive; a retry finishes the job.
func TestRevokerFailureFailsClosed(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.fail = errors.New("blocklist down")
	err = f.m.Revoke(f.ctx, s.ID)
	require.ErrorIs(t, err, session.ErrRevoker)
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrNotFound, "the session is gone anyway")
	f.rec.fail = nil
	require.NoError(t, f.m.Revoke(f.ctx, s.ID))
	require.Equal(t, []string{s.ID}, f.rec.revokedIDs())

	_, _, err = f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.fail = errors.New("blocklist down")
	require.ErrorIs(t, f.m.RevokeAll(f.ctx, "alice"), session.ErrRevoker)
	list, err := f.m.List(f.ctx, "alice")
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestRevokeAllAndOthersAndList(t *testing.T) {
	f := newFixture(t)
	var ids []string
	var tokens []string
	for range 3 {
		s, tok, err := f.m.Create(f.ctx, "alice", alice)
		require.NoError(t, err)
		ids, tokens = append(ids, s.ID), append(tokens, tok)
		f.clock.Advance(time.Second)
	}
	bob, bobToken, err := f.m.Create(f.ctx, "bob", alice)
	require.NoError(t, err)

	list, err := f.m.List(f.ctx, "alice")
	require.NoError(t, err)
	require.Len(t, list, 3)
	for i, s := range list {
		require.Equal(t, ids[i], s.ID, "oldest first")
		require.Equal(t, "alice", s.UserID)
	}

	require.NoError(t, f.m.RevokeOthers(f.ctx, "alice", ids[1]))
	list, err = f.m.List(f.ctx, "alice")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, ids[1], list[0].ID)
	for _, i := range []int{0, 2} {
		_, err := f.m.Validate(f.ctx, tokens[i], alice)
		require.ErrorIs(t, err, session.ErrNotFound)
	}
	require.ElementsMatch(t, []string{ids[0], ids[2]}, f.rec.revokedIDs())
	require.ErrorIs(t, f.m.RevokeOthers(f.ctx, "alice", ""), session.ErrInvalidInput)

	require.NoError(t, f.m.RevokeAll(f.ctx, "alice"))
	_, err = f.m.Validate(f.ctx, tokens[1], alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	list, err = f.m.List(f.ctx, "alice")
	require.NoError(t, err)
	require.Empty(t, list)

	got, err := f.m.Validate(f.ctx, bobToken, alice)
	require.NoError(t, err, "other users are untouched")
	require.Equal(t, bob.ID, got.ID)
}

func TestMaxSessionsConcurrentLogins(t *testing.T) {
	for _, policy := range []session.LimitPolicy{session.EvictOldest, session.RejectNew} {
		t.Run(policy.String(), func(t *testing.T) {
			f := newFixture(t, session.WithMaxSessions(5, policy))
			var wg sync.WaitGroup
			errs := make([]error, 40)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = f.m.Create(f.ctx, "alice", alice)
				}()
			}
			wg.Wait()
			list, err := f.m.List(f.ctx, "alice")
			require.NoError(t, err)
			require.Len(t, list, 5)
			refused := 0
			for _, err := range errs {
				if err != nil {
					require.ErrorIs(t, err, session.ErrLimitReached)
					refused++
				}
			}
			if policy == session.RejectNew {
				require.Equal(t, 35, refused)
				require.Empty(t, f.rec.of(session.EventEvicted))
			} else {
				require.Zero(t, refused)
				require.Len(t, f.rec.of(session.EventEvicted), 35)
				require.Len(t, f.rec.revokedIDs(), 35, "evicted sessions lose their JWTs")
			}
		})
	}
}

func TestEvictOldestEvictsTheOldest(t *testing.T) {
	f := newFixture(t, session.WithMaxSessions(2, session.EvictOldest))
	first, firstToken, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.clock.Advance(time.Second)
	_, _, err = f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.clock.Advance(time.Second)
	_, _, err = f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	_, err = f.m.Validate(f.ctx, firstToken, alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	ev := f.rec.of(session.EventEvicted)
	require.Len(t, ev, 1)
	require.Equal(t, first.ID, ev[0].SessionID)
}

func TestAnomalyCountryChangeTerminates(t *testing.T) {
	f := newFixture(t)
	s, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.reset()
	_, err = f.m.Validate(f.ctx, token, session.ClientInfo{IP: berlin, UserAgent: alice.UserAgent})
	require.ErrorIs(t, err, session.ErrAnomaly)
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrNotFound, "terminated for good, even back home")
	require.Equal(t, []string{s.ID}, f.rec.revokedIDs())
	an := f.rec.of(session.EventAnomaly)
	require.Len(t, an, 1)
	assert.Equal(t, session.SignalCountry, an[0].Signal)
	assert.Equal(t, session.Terminate, an[0].Action)
	assert.Equal(t, "FR", an[0].From)
	assert.Equal(t, "DE", an[0].To)
	require.Len(t, f.rec.of(session.EventRevoked), 1)
}

func TestAnomalySameCountryAndUserAgentAllowedWithEvent(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.reset()
	moved := session.ClientInfo{IP: lyon, UserAgent: "Firefox/141"}
	s, err := f.m.Validate(f.ctx, token, moved)
	require.NoError(t, err)
	require.Equal(t, lyon, s.IP)
	require.Equal(t, "Firefox/141", s.UserAgent)
	an := f.rec.of(session.EventAnomaly)
	require.Len(t, an, 2)
	assert.Equal(t, session.SignalIP, an[0].Signal)
	assert.Equal(t, session.Alert, an[0].Action)
	assert.Equal(t, session.SignalUserAgent, an[1].Signal)
	require.Equal(t, 1, f.store.touchCount(), "a change is recorded at once")
	// The new values were adopted: no repeat of the event.
	_, err = f.m.Validate(f.ctx, token, moved)
	require.NoError(t, err)
	require.Len(t, f.rec.of(session.EventAnomaly), 2)
	// An address the resolver does not know is an IP change, not a country change.
	_, err = f.m.Validate(f.ctx, token, session.ClientInfo{IP: other, UserAgent: "Firefox/141"})
	require.NoError(t, err)
}

func TestAnomalyPolicyStepUp(t *testing.T) {
	f := newFixture(t, session.WithAnomalyPolicy(session.AnomalyPolicy{CountryChange: session.RequireStepUp, UserAgentChange: session.Allow}))
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.reset()
	_, err = f.m.Validate(f.ctx, token, session.ClientInfo{IP: paris, UserAgent: "curl/8"})
	require.NoError(t, err, "Allow: silent")
	require.Empty(t, f.rec.of(session.EventAnomaly))

	f.clock.Advance(time.Minute)
	s, err := f.m.Validate(f.ctx, token, session.ClientInfo{IP: berlin, UserAgent: "curl/8"})
	require.ErrorIs(t, err, session.ErrStepUpRequired)
	require.NotNil(t, s)
	require.True(t, s.StepUpRequired)
	require.Len(t, f.rec.of(session.EventStepUp), 1)
	// Still required on the next request, from anywhere.
	_, err = f.m.Validate(f.ctx, token, session.ClientInfo{IP: berlin, UserAgent: "curl/8"})
	require.ErrorIs(t, err, session.ErrStepUpRequired)

	f.clock.Advance(time.Minute)
	fresh, err := f.m.Reauthenticate(f.ctx, token)
	require.NoError(t, err)
	_, err = f.m.Validate(f.ctx, token, session.ClientInfo{IP: berlin, UserAgent: "curl/8"})
	require.ErrorIs(t, err, session.ErrNotFound, "the old token died with the step-up")
	s, err = f.m.Validate(f.ctx, fresh, session.ClientInfo{IP: berlin, UserAgent: "curl/8"})
	require.NoError(t, err)
	require.False(t, s.StepUpRequired)
	require.Equal(t, f.clock.Now(), s.AuthenticatedAt)
}

type brokenGeo struct{}

func (brokenGeo) Country(context.Context, netip.Addr) (string, error) {
	return "", errors.New("geo database unavailable")
}

func TestGeoResolverFailureFailsClosed(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	m, err := session.NewManager(f.store.Store, session.WithClock(f.clock.Now), session.WithGeoResolver(brokenGeo{}))
	require.NoError(t, err)
	_, err = m.Validate(f.ctx, token, alice)
	require.NoError(t, err, "same IP: no lookup needed")
	_, err = m.Validate(f.ctx, token, session.ClientInfo{IP: berlin, UserAgent: alice.UserAgent})
	require.Error(t, err)
}

func TestNewManagerRejectsBadOptions(t *testing.T) {
	st := session.NewMemoryStore()
	cases := map[string][]session.Option{
		"nil events callback":     {session.WithEvents(nil)},
		"idle zero":               {session.WithIdleTimeout(0)},
		"absolute shorter":        {session.WithIdleTimeout(time.Hour), session.WithAbsoluteTimeout(time.Minute)},
		"touch not below idle":    {session.WithIdleTimeout(time.Minute), session.WithTouchInterval(time.Minute)},
		"negative touch":          {session.WithTouchInterval(-1)},
		"max zero":                {session.WithMaxSessions(0, session.RejectNew)},
		"bad policy":              {session.WithMaxSessions(3, 0)},
		"host cookie with domain": {session.WithCookie(http.Cookie{Name: "__Host-s", Path: "/", Domain: "example.com", Secure: true, HttpOnly: true})},
		"host cookie with path":   {session.WithCookie(http.Cookie{Name: "__Host-s", Path: "/app", Secure: true, HttpOnly: true})},
		// Browsers match the prefixes case-insensitively (RFC 6265bis) and
		// would drop such a cookie: every login would silently fail.
		"host prefix in lowercase":   {session.WithCookie(http.Cookie{Name: "__host-s", Path: "/", Domain: "example.com", Secure: true, HttpOnly: true})},
		"secure prefix in uppercase": {session.WithCookie(http.Cookie{Name: "__SECURE-s", HttpOnly: true}), session.InsecureCookieForDevelopment()},
		"insecure cookie":            {session.WithCookie(http.Cookie{Name: "sid", HttpOnly: true})},
		"script-readable cookie":     {session.WithCookie(http.Cookie{Name: "sid", Secure: true})},
		"invalid cookie name":        {session.WithCookie(http.Cookie{Name: "a b", Secure: true, HttpOnly: true})},
		"bad anomaly action":         {session.WithAnomalyPolicy(session.AnomalyPolicy{IPChange: 9})},
		"nil clock":                  {session.WithClock(nil)},
		"nil logger":                 {session.WithLogger(nil)},
		"nil revoker":                {session.WithRevoker(nil)},
		"nil geo":                    {session.WithGeoResolver(nil)},
		"invalid proxy prefix":       {session.WithTrustedProxies(netip.Prefix{})},
		"nil option":                 {nil},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := session.NewManager(st, opts...)
			require.ErrorIs(t, err, session.ErrInvalidOption)
		})
	}
	_, err := session.NewManager(nil)
	require.ErrorIs(t, err, session.ErrInvalidOption)
	_, err = session.NewManager(st, session.WithCookie(http.Cookie{Name: "dev", HttpOnly: true}), session.InsecureCookieForDevelopment())
	require.NoError(t, err, "the loud opt-out")
}

func TestStoreFailureIsAnError(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.store.fail = errDown
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrStore)
	require.NotErrorIs(t, err, session.ErrNotFound)
}

// Eviction is the documented exception to failing closed: the new login
// succeeds, the evicted session is gone, and the Revoker failure is logged.
// After a failed RevokeAll, Revoke of each named session reaches the
// Revoker again (RevokeAll itself finds nothing left to revoke).
func TestRevokerFailureOnEvictionAndRevokeAllRetry(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	f := newFixture(t, session.WithMaxSessions(1, session.EvictOldest), session.WithLogger(log))
	first, firstToken, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	f.rec.fail = errors.New("blocklist down")
	f.clock.Advance(time.Second)
	second, _, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err, "eviction: best effort")
	_, err = f.m.Validate(f.ctx, firstToken, alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.Contains(t, buf.String(), "level=ERROR")
	require.Contains(t, buf.String(), "session_id="+first.ID)

	err = f.m.RevokeAll(f.ctx, "alice")
	require.ErrorIs(t, err, session.ErrRevoker)
	require.Contains(t, err.Error(), second.ID, "the error names the session to retry")
	f.rec.fail = nil
	require.NoError(t, f.m.RevokeAll(f.ctx, "alice"))
	require.Empty(t, f.rec.revokedIDs(), "a second RevokeAll finds no session: it cannot finish the job")
	require.NoError(t, f.m.Revoke(f.ctx, second.ID))
	require.Equal(t, []string{second.ID}, f.rec.revokedIDs())
}

// Without the secret, an expired session looks like any unknown one: the
// error must not tell whoever holds a (public) session ID that it existed.
func TestWrongSecretForExpiredSessionIsNotFound(t *testing.T) {
	f := newFixture(t)
	s, _, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	forged := s.ID + "." + strings.Repeat("A", 43)
	f.clock.Advance(31 * time.Minute)
	_, err = f.m.Validate(f.ctx, forged, alice)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.NotErrorIs(t, err, session.ErrExpired)
	_, err = f.m.Renew(f.ctx, forged)
	require.ErrorIs(t, err, session.ErrNotFound)
	_, err = f.m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrExpired, "the holder of the secret learns why")
}

type failingTouch struct{ session.Store }

func (failingTouch) Touch(context.Context, time.Time, string, session.Touch) error { return errDown }

// When Validate must record activity (or an anomaly) and the write fails,
// the request fails: the session is not returned as valid.
func TestTouchFailureFailsValidate(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	m, err := session.NewManager(failingTouch{f.store}, session.WithClock(f.clock.Now),
		session.WithAnomalyPolicy(session.AnomalyPolicy{IPChange: session.RequireStepUp}))
	require.NoError(t, err)
	f.clock.Advance(2 * time.Minute)
	s, err := m.Validate(f.ctx, token, alice)
	require.ErrorIs(t, err, session.ErrStore)
	require.Nil(t, s)
	f.clock.Advance(-2 * time.Minute)
	s, err = m.Validate(f.ctx, token, session.ClientInfo{IP: lyon, UserAgent: alice.UserAgent})
	require.ErrorIs(t, err, session.ErrStore, "a step-up that cannot be recorded is not skipped")
	require.Nil(t, s)
}
