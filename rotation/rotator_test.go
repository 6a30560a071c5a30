package rotation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/rotationtest"
)

var key = rotationtest.Key

// recIssuer records the claims of each access token it mints.
type recIssuer struct {
	rotationtest.Issuer
	mu     sync.Mutex
	claims []jwt.Claims
	fail   error
}

func (r *recIssuer) Issue(ctx context.Context, c jwt.Claims) (*jwt.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	r.claims = append(r.claims, c)
	return r.Issuer.Issue(ctx, c)
}

func (r *recIssuer) last() jwt.Claims {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.claims[len(r.claims)-1]
}

type revoker struct {
	mu   sync.Mutex
	sids []string
	fail error
}

func (r *revoker) RevokeSession(ctx context.Context, sid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	r.sids = append(r.sids, sid)
	return r.fail
}

func (r *revoker) revoked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sids)
}

func newRotator(t *testing.T, s rotation.Store, is rotation.AccessIssuer, opts ...rotation.Option) (*rotation.Rotator, *rotationtest.Clock) {
	t.Helper()
	clock := rotationtest.NewClock(rotationtest.T0)
	rot, err := rotation.New(s, is, append([]rotation.Option{rotation.WithMACKey(key), rotation.WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	return rot, clock
}

func TestNewRefusesInvalidOptions(t *testing.T) {
	s, is := rotation.NewMemoryStore(), &rotationtest.Issuer{}
	short := make([]byte, 31)
	cases := map[string][]rotation.Option{
		"no MAC key":           nil,
		"short MAC key":        {rotation.WithMACKey(short)},
		"short previous key":   {rotation.WithMACKey(key, short)},
		"zero refresh TTL":     {rotation.WithMACKey(key), rotation.WithRefreshTTL(0)},
		"negative family life": {rotation.WithMACKey(key), rotation.WithFamilyLifetime(-time.Hour)},
		"idle beyond lifetime": {rotation.WithMACKey(key), rotation.WithRefreshTTL(31 * 24 * time.Hour)},
		"negative grace":       {rotation.WithMACKey(key), rotation.WithGracePeriod(-time.Second)},
		"grace above maximum":  {rotation.WithMACKey(key), rotation.WithGracePeriod(rotation.MaxGracePeriod + time.Second)},
		"grace not below idle": {rotation.WithMACKey(key), rotation.WithRefreshTTL(time.Minute), rotation.WithGracePeriod(time.Minute)},
		"nil revoker":          {rotation.WithMACKey(key), rotation.WithRevoker(nil)},
		"nil events":           {rotation.WithMACKey(key), rotation.WithEvents(nil)},
		"nil clock":            {rotation.WithMACKey(key), rotation.WithClock(nil)},
		"nil logger":           {rotation.WithMACKey(key), rotation.WithLogger(nil)},
		"nil claims refresh":   {rotation.WithMACKey(key), rotation.WithClaimsRefresh(nil)},
		"nil option":           {rotation.WithMACKey(key), nil},
	}
	for name, opts := range cases {
		_, err := rotation.New(s, is, opts...)
		assert.ErrorIs(t, err, rotation.ErrInvalidOption, name)
	}
	_, err := rotation.New(nil, is, rotation.WithMACKey(key))
	assert.ErrorIs(t, err, rotation.ErrInvalidOption)
	_, err = rotation.New(s, nil, rotation.WithMACKey(key))
	assert.ErrorIs(t, err, rotation.ErrInvalidOption)

	_, err = rotation.New(s, is, rotation.WithMACKey(key), rotation.WithGracePeriod(rotation.MaxGracePeriod),
		rotation.WithRefreshTTL(time.Hour), rotation.WithFamilyLifetime(time.Hour))
	assert.NoError(t, err, "limits are inclusive")
}

// The key given to WithMACKey is copied: changing the caller's slice later
// changes nothing.
func TestMACKeyCopied(t *testing.T) {
	k := slices.Clone(key)
	rot, _ := newRotator(t, rotation.NewMemoryStore(), &rotationtest.Issuer{}, rotation.WithMACKey(k))
	p, err := rot.Issue(context.Background(), jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	k[0] ^= 0xff
	_, err = rot.Refresh(context.Background(), p.RefreshToken)
	require.NoError(t, err)
}

func TestTokenShape(t *testing.T) {
	ctx := context.Background()
	rot, _ := newRotator(t, rotation.NewMemoryStore(), &rotationtest.Issuer{})
	seen := map[string]bool{}
	for range 200 {
		p, err := rot.Issue(ctx, jwt.Claims{Subject: "u"})
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(p.RefreshToken, "crt_"), "scanner-friendly prefix")
		assert.Len(t, p.RefreshToken, 4+119)
		assert.Len(t, p.FamilyID, 22)
		assert.NotContains(t, p.RefreshToken, "=")
		assert.False(t, seen[p.RefreshToken] || seen[p.FamilyID])
		seen[p.RefreshToken], seen[p.FamilyID] = true, true
	}
}

func TestIssueRequiresSubject(t *testing.T) {
	cs := rotationtest.NewCountingStore(rotation.NewMemoryStore())
	rot, _ := newRotator(t, cs, &rotationtest.Issuer{})
	_, err := rot.Issue(context.Background(), jwt.Claims{})
	require.ErrorIs(t, err, rotation.ErrInvalidClaims)
	assert.Zero(t, cs.Calls())
}

// Claims given at Issue carry over to every access token, with sid set and
// times and jti left to the issuer.
func TestClaimsCarryOver(t *testing.T) {
	ctx := context.Background()
	is := &recIssuer{}
	rot, clock := newRotator(t, rotation.NewMemoryStore(), is)
	in := jwt.Claims{Subject: "alice", Issuer: "ignored-by-fake", Audience: []string{"api"}, ClientID: "spa",
		Scope: "read", Roles: []string{"admin"}, Extra: map[string]any{"tenant": "t1", "n": 9007199254740993},
		ID: "caller-jti", ExpiresAt: rotationtest.T0.Add(time.Hour)}
	p, err := rot.Issue(ctx, in)
	require.NoError(t, err)
	first := is.last()
	assert.Equal(t, p.FamilyID, first.SessionID)
	assert.NotEqual(t, "caller-jti", first.ID)
	clock.Advance(time.Minute)
	_, err = rot.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	got := is.last()
	assert.Equal(t, "alice", got.Subject)
	assert.Equal(t, []string{"api"}, got.Audience)
	assert.Equal(t, "spa", got.ClientID)
	assert.Equal(t, "read", got.Scope)
	assert.Equal(t, []string{"admin"}, got.Roles)
	assert.Equal(t, p.FamilyID, got.SessionID)
	assert.Equal(t, "t1", got.Extra["tenant"])
	assert.Equal(t, "9007199254740993", got.Extra["n"].(interface{ String() string }).String(), "integers keep their precision")
	assert.True(t, got.ExpiresAt.IsZero() && got.IssuedAt.IsZero() && got.NotBefore.IsZero(), "times are the issuer's to set")
	assert.Empty(t, got.ID, "jti is the issuer's to set")
}

func TestClaimsRefresh(t *testing.T) {
	ctx := context.Background()
	is := &recIssuer{}
	roles := []string{"viewer"}
	var deny error
	var mu sync.Mutex
	refresh := func(_ context.Context, c jwt.Claims) (jwt.Claims, error) {
		mu.Lock()
		defer mu.Unlock()
		if deny != nil {
			return jwt.Claims{}, deny
		}
		c.Roles = slices.Clone(roles)
		c.SessionID = "attempt-to-change-sid"
		return c, nil
	}
	rot, _ := newRotator(t, rotation.NewMemoryStore(), is, rotation.WithClaimsRefresh(refresh), rotation.WithGracePeriod(time.Minute))
	p, err := rot.Issue(ctx, jwt.Claims{Subject: "bob", Roles: []string{"admin"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"admin"}, is.last().Roles, "Issue uses the given claims")
	q, err := rot.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"viewer"}, is.last().Roles, "reloaded at rotation")
	assert.Equal(t, p.FamilyID, is.last().SessionID, "the sid is always the family's")

	mu.Lock()
	deny = errors.New("user disabled")
	mu.Unlock()
	_, err = rot.Refresh(ctx, q.RefreshToken)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "user disabled")
	mu.Lock()
	deny = nil
	mu.Unlock()
	r1, err := rot.Refresh(ctx, q.RefreshToken)
	require.NoError(t, err, "within grace the client can retry after a failure past the store step")
	r2, err := rot.Refresh(ctx, q.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, r1.RefreshToken, r2.RefreshToken)

	rot2, _ := newRotator(t, rotation.NewMemoryStore(), is, rotation.WithClaimsRefresh(
		func(_ context.Context, c jwt.Claims) (jwt.Claims, error) { c.Subject = "mallory"; return c, nil }))
	p, err = rot2.Issue(ctx, jwt.Claims{Subject: "bob"})
	require.NoError(t, err)
	_, err = rot2.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrInvalidClaims)
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var events []rotation.Event
	rot, clock := newRotator(t, rotation.NewMemoryStore(), &rotationtest.Issuer{}, rotation.WithGracePeriod(time.Second),
		rotation.WithEvents(func(_ context.Context, e rotation.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		}))
	p0, err := rot.Issue(ctx, jwt.Claims{Subject: "carol", SessionID: "s1"})
	require.NoError(t, err)
	clock.Advance(time.Millisecond)
	p1, err := rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, p1.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	other, err := rot.Issue(ctx, jwt.Claims{Subject: "carol"})
	require.NoError(t, err)
	require.NoError(t, rot.Revoke(ctx, other.RefreshToken))

	mu.Lock()
	defer mu.Unlock()
	var types []rotation.EventType
	for _, e := range events {
		types = append(types, e.Type)
		assert.NotEmpty(t, e.FamilyID)
		assert.Equal(t, "carol", e.Subject)
		assert.False(t, e.Time.IsZero())
	}
	assert.Equal(t, []rotation.EventType{rotation.EventIssued, rotation.EventRotated, rotation.EventGraceReplay,
		rotation.EventRotated, rotation.EventReuseDetected, rotation.EventIssued, rotation.EventRevoked}, types)
	reuse := events[4]
	assert.Equal(t, "s1", reuse.SessionID)
	assert.Equal(t, uint64(0), reuse.Generation)
	assert.Equal(t, rotation.ReasonReuse, reuse.Reason)
	assert.Equal(t, rotation.ReasonLogout, events[6].Reason)
	assert.Equal(t, other.FamilyID, events[6].SessionID)
	assert.Equal(t, "reuse_detected", rotation.EventReuseDetected.String())
}

// A Revoker failing after reuse does not undo the revocation; the error
// says both; RevokeFamily can be retried to finish the job.
func TestRevokerFailureAfterReuse(t *testing.T) {
	ctx := context.Background()
	rv := &revoker{fail: errors.New("blocklist down")}
	var logs bytes.Buffer
	s := rotation.NewMemoryStore()
	rot, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithRevoker(rv),
		rotation.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	p0, err := rot.Issue(ctx, jwt.Claims{Subject: "dan"})
	require.NoError(t, err)
	p1, err := rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	assert.Contains(t, err.Error(), "blocklist down")
	_, err = rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	assert.Contains(t, err.Error(), "blocklist down", "a later presentation tries the Revoker again")

	rv.mu.Lock()
	rv.fail = nil
	rv.mu.Unlock()
	require.NoError(t, rot.RevokeFamily(ctx, p0.FamilyID))
	assert.Equal(t, []string{p0.FamilyID, p0.FamilyID, p0.FamilyID}, rv.revoked())

	out := logs.String()
	assert.Contains(t, out, "reuse detected")
	assert.Contains(t, out, "blocklist down")
	for _, tok := range []string{p0.RefreshToken, p1.RefreshToken, p0.AccessToken, p1.AccessToken} {
		assert.NotContains(t, out, tok, "tokens are never logged")
	}
}

// The revocation after reuse goes through even when the caller's context
// is canceled right after the store step.
func TestReuseRevocationSurvivesCanceledContext(t *testing.T) {
	rv := &revoker{}
	s := &cancelAfterExchange{Store: rotation.NewMemoryStore()}
	rot, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithRevoker(rv))
	p0, err := rot.Issue(context.Background(), jwt.Claims{Subject: "eve"})
	require.NoError(t, err)
	_, err = rot.Refresh(context.Background(), p0.RefreshToken)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	assert.Equal(t, []string{p0.FamilyID}, rv.sids)
}

type cancelAfterExchange struct {
	rotation.Store
	cancel func()
}

func (c *cancelAfterExchange) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	res, err := c.Store.Exchange(ctx, req)
	if c.cancel != nil {
		c.cancel()
	}
	return res, err
}

// failingStore fails every call.
type failingStore struct{ rotation.Store }

var errDown = errors.New("connection refused")

func (failingStore) Create(context.Context, rotation.Family, time.Time) error { return errDown }
func (failingStore) Exchange(context.Context, rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	return rotation.ExchangeResult{Outcome: rotation.OutcomeRotated}, errDown
}
func (failingStore) Revoke(context.Context, string, string, time.Time, time.Time) (rotation.Family, rotation.RevokeStatus, error) {
	return rotation.Family{}, rotation.RevokeDone, errDown
}
func (failingStore) AddToSubject(context.Context, string, string, time.Time, time.Time) error {
	return errDown
}
func (failingStore) SubjectFamilies(context.Context, string, time.Time) ([]string, error) {
	return nil, errDown
}

// A store that fails is an error, never a pass, even if it also returns
// an outcome.
func TestStoreFailureFailsClosed(t *testing.T) {
	ctx := context.Background()
	good, _ := newRotator(t, rotation.NewMemoryStore(), &rotationtest.Issuer{})
	p, err := good.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)

	is := &rotationtest.Issuer{}
	rot, _ := newRotator(t, failingStore{}, is)
	q, err := rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrStore)
	assert.ErrorIs(t, err, errDown)
	assert.Nil(t, q)
	_, err = rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.ErrorIs(t, err, rotation.ErrStore)
	require.ErrorIs(t, rot.Revoke(ctx, p.RefreshToken), rotation.ErrStore)
	require.ErrorIs(t, rot.RevokeFamily(ctx, p.FamilyID), rotation.ErrStore)
	require.ErrorIs(t, rot.RevokeSubject(ctx, "u"), rotation.ErrStore)
	assert.Zero(t, is.Calls(), "no access token without the store's yes")
}

// An issuer failing after the store step fails the Refresh; within grace a
// retry gets the same successor.
func TestIssuerFailureAfterExchange(t *testing.T) {
	ctx := context.Background()
	is := &recIssuer{}
	rot, _ := newRotator(t, rotation.NewMemoryStore(), is, rotation.WithGracePeriod(10*time.Second))
	p, err := rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	is.mu.Lock()
	is.fail = errors.New("signer unavailable")
	is.mu.Unlock()
	_, err = rot.Refresh(ctx, p.RefreshToken)
	require.Error(t, err)
	assert.NotErrorIs(t, err, rotation.ErrStore)
	is.mu.Lock()
	is.fail = nil
	is.mu.Unlock()
	q, err := rot.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, q.RefreshToken)
	require.NoError(t, err, "the retried successor is the live head")
}

// A key roll: the new key verifies old tokens and mints under itself.
func TestMACKeyRotation(t *testing.T) {
	ctx := context.Background()
	s := rotation.NewMemoryStore()
	oldKey, newKey := key, []byte("the next server key, also 32+ bytes long")
	old, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithMACKey(oldKey))
	next, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithMACKey(newKey, oldKey))
	onlyNew, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithMACKey(newKey))

	p, err := old.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	_, err = onlyNew.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrInvalidToken, "a retired key verifies nothing")
	q, err := next.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err, "previous keys still verify")
	_, err = old.Refresh(ctx, q.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrInvalidToken, "successors are under the new key")
	_, err = onlyNew.Refresh(ctx, q.RefreshToken)
	require.NoError(t, err)
}

// lostReply runs the store step, then loses its reply, as a connection
// dying or a timeout firing after Redis ran the script does.
type lostReply struct {
	rotation.Store
	lose bool
}

func (l *lostReply) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	res, err := l.Store.Exchange(ctx, req)
	if l.lose {
		return rotation.ExchangeResult{}, context.DeadlineExceeded
	}
	return res, err
}

// The store revoked the family for reuse but its reply was lost: the
// caller saw only ErrStore, and nobody told the Revoker. The next
// presentation of any token of the family must finish the job, or the
// family's access tokens would live on after a detected theft.
func TestReuseWithLostReplyStillRevokesSession(t *testing.T) {
	ctx := context.Background()
	rv := &revoker{}
	s := &lostReply{Store: rotation.NewMemoryStore()}
	rot, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithRevoker(rv))
	p0, err := rot.Issue(ctx, jwt.Claims{Subject: "eve", SessionID: "sess-eve"})
	require.NoError(t, err)
	p1, err := rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)

	s.lose = true
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrStore)
	s.lose = false

	for _, tok := range []string{p1.RefreshToken, p0.RefreshToken} {
		_, err = rot.Refresh(ctx, tok)
		require.ErrorIs(t, err, rotation.ErrRevoked)
	}
	assert.Contains(t, rv.revoked(), "sess-eve", "the reuse-revoked family's sid reached the Revoker")

	// A family revoked by logout is the logout caller's to retry: its
	// tokens presented later do not call the Revoker again.
	p, err := rot.Issue(ctx, jwt.Claims{Subject: "eve", SessionID: "sess-2"})
	require.NoError(t, err)
	require.NoError(t, rot.Revoke(ctx, p.RefreshToken))
	n := len(rv.revoked())
	_, err = rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	assert.Len(t, rv.revoked(), n)
}

// During a rolling key change some instances mint under the new key while
// others still mint under the old one. A grace replay reaching the other
// kind of instance must still get the same successor: the roll logs no
// one out.
func TestMACKeyRollKeepsGrace(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := key, []byte("the next server key, also 32+ bytes long")
	for name, keys := range map[string][2][][]byte{
		"old rotates, new replays": {{oldKey, newKey}, {newKey, oldKey}},
		"new rotates, old replays": {{newKey, oldKey}, {oldKey, newKey}},
	} {
		t.Run(name, func(t *testing.T) {
			s := rotation.NewMemoryStore()
			grace := rotation.WithGracePeriod(time.Minute)
			first, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithMACKey(keys[0][0], keys[0][1]), grace)
			second, _ := newRotator(t, s, &rotationtest.Issuer{}, rotation.WithMACKey(keys[1][0], keys[1][1]), grace)
			for _, issuer := range []*rotation.Rotator{first, second} {
				p0, err := issuer.Issue(ctx, jwt.Claims{Subject: "u"})
				require.NoError(t, err)
				p1, err := first.Refresh(ctx, p0.RefreshToken)
				require.NoError(t, err)
				again, err := second.Refresh(ctx, p0.RefreshToken)
				require.NoError(t, err, "grace replay on the other instance")
				// Both answers are the one head: rotating either leaves
				// the other a grace replay, not a fork.
				p2, err := second.Refresh(ctx, again.RefreshToken)
				require.NoError(t, err)
				q, err := first.Refresh(ctx, p1.RefreshToken)
				require.NoError(t, err)
				_, err = first.Refresh(ctx, q.RefreshToken)
				require.NoError(t, err)
				_, err = second.Refresh(ctx, p2.RefreshToken)
				require.NoError(t, err, "q and p2 are one token: p2 is the head's predecessor")
				_, err = second.Refresh(ctx, p1.RefreshToken)
				require.ErrorIs(t, err, rotation.ErrReused, "two generations back")
			}
		})
	}
}

// Neither an event nor an error carries a refresh token or its secret: they
// end up in logs and alerting pipelines.
func TestEventsAndErrorsCarryNoToken(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var dump strings.Builder
	rot, clock := newRotator(t, rotation.NewMemoryStore(), &rotationtest.Issuer{}, rotation.WithGracePeriod(time.Second),
		rotation.WithEvents(func(_ context.Context, e rotation.Event) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(&dump, "%+v\n", e)
		}))
	p0, err := rot.Issue(ctx, jwt.Claims{Subject: "tom"})
	require.NoError(t, err)
	p1, err := rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = rot.Refresh(ctx, p0.RefreshToken) // grace replay
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	errs := err.Error()
	_, err = rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
	errs += err.Error()
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, dump.String(), "FamilyID:"+p0.FamilyID)
	for _, tok := range []string{p0.RefreshToken, p1.RefreshToken} {
		body := strings.TrimPrefix(tok, "crt_")
		for _, part := range []string{tok, body[22:60], body[60:]} { // the secret's and the MAC's characters
			assert.NotContains(t, dump.String(), part)
			assert.NotContains(t, errs, part)
		}
	}
}
