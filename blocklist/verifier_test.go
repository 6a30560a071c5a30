package blocklist_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
)

// TestVerifierRefusesRevokedTokens wires a List into a jwt.Verifier (with
// its verified-token cache on) and revokes by each kind: the verifier
// refuses with jwt.ErrRevoked, and an unrelated token still passes.
func TestVerifierRefusesRevokedTokens(t *testing.T) {
	clk := newFakeClock(t0)
	key, err := jwt.GenerateKey(jwt.ES256)
	require.NoError(t, err)
	ks, err := jwt.NewKeySet(key)
	require.NoError(t, err)
	iss, err := jwt.NewIssuer(ks, jwt.WithIssuer("https://issuer.test"), jwt.WithAudience("api"), jwt.WithClock(clk.Now))
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		revoke func(ctx context.Context, l *blocklist.List, tok *jwt.Token) error
	}{
		{"ByJTI", func(ctx context.Context, l *blocklist.List, tok *jwt.Token) error {
			return l.RevokeToken(ctx, tok.Claims.ID, tok.Claims.ExpiresAt)
		}},
		{"BySession", func(ctx context.Context, l *blocklist.List, tok *jwt.Token) error {
			return l.RevokeSession(ctx, tok.Claims.SessionID)
		}},
		{"BySubject", func(ctx context.Context, l *blocklist.List, tok *jwt.Token) error {
			return l.RevokeSubject(ctx, tok.Claims.Subject)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			l := newList(t, blocklist.NewMemoryStore(), blocklist.WithClock(clk.Now), noStaleness)
			v, err := jwt.NewVerifier(ks, jwt.WithIssuer("https://issuer.test"), jwt.WithAudience("api"),
				jwt.WithClock(clk.Now), jwt.WithCache(100), jwt.WithRevocation(l))
			require.NoError(t, err)

			victim, err := iss.Issue(ctx, jwt.Claims{Subject: "alice", SessionID: "sess-1"})
			require.NoError(t, err)
			bystander, err := iss.Issue(ctx, jwt.Claims{Subject: "bob", SessionID: "sess-2"})
			require.NoError(t, err)
			_, err = v.Verify(ctx, victim.Raw)
			require.NoError(t, err, "valid before the revocation (and now in the verifier's cache)")

			require.NoError(t, tc.revoke(ctx, l, victim))

			claims, err := v.Verify(ctx, victim.Raw)
			require.ErrorIs(t, err, jwt.ErrRevoked)
			assert.Nil(t, claims)
			_, err = v.Verify(ctx, bystander.Raw)
			require.NoError(t, err)
		})
	}
}

// TestVerifierRefusesEverythingWhenTheReplicaIsStale: a stale List makes
// the verifier fail closed, for revoked and unrevoked tokens alike.
func TestVerifierRefusesEverythingWhenTheReplicaIsStale(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	key, err := jwt.GenerateKey(jwt.ES256)
	require.NoError(t, err)
	ks, err := jwt.NewKeySet(key)
	require.NoError(t, err)
	iss, err := jwt.NewIssuer(ks, jwt.WithIssuer("https://issuer.test"), jwt.WithAudience("api"), jwt.WithClock(clk.Now))
	require.NoError(t, err)
	store := &flakyStore{Store: blocklist.NewMemoryStore()}
	l := newList(t, store, blocklist.WithClock(clk.Now), blocklist.WithStalenessBound(time.Second))
	v, err := jwt.NewVerifier(ks, jwt.WithIssuer("https://issuer.test"), jwt.WithAudience("api"),
		jwt.WithClock(clk.Now), jwt.WithRevocation(l))
	require.NoError(t, err)
	tok, err := iss.Issue(ctx, jwt.Claims{Subject: "alice"})
	require.NoError(t, err)
	_, err = v.Verify(ctx, tok.Raw)
	require.NoError(t, err)

	store.SetDown(true)
	require.Eventually(t, func() bool { return store.failures.Load() > 0 }, eventually, time.Millisecond)
	clk.Advance(2 * time.Second)
	claims, err := v.Verify(ctx, tok.Raw)
	require.Error(t, err)
	assert.ErrorIs(t, err, blocklist.ErrStale)
	assert.Nil(t, claims)
}
