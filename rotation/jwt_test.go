package rotation_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/rotationtest"
)

// With a real issuer, verifier and blocklist: access tokens carry sid = the
// family (or the given session id) and the Issue claims; reuse revokes the
// family's sid, so an access token minted before the reuse stops verifying.
func TestWithRealJWTAndBlocklist(t *testing.T) {
	ctx := context.Background()
	clock := rotationtest.NewClock(time.Now().Truncate(time.Second))
	k, err := jwt.GenerateKey(jwt.ES256)
	require.NoError(t, err)
	ks, err := jwt.NewKeySet(k)
	require.NoError(t, err)
	issuer, err := jwt.NewIssuer(ks, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"), jwt.WithClock(clock.Now))
	require.NoError(t, err)
	list, err := blocklist.New(blocklist.NewMemoryStore(), blocklist.WithClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	verifier, err := jwt.NewVerifier(ks, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"),
		jwt.WithClock(clock.Now), jwt.WithRevocation(list))
	require.NoError(t, err)

	rot, err := rotation.New(rotation.NewMemoryStore(), issuer,
		rotation.WithMACKey(key), rotation.WithClock(clock.Now), rotation.WithRevoker(list))
	require.NoError(t, err)

	p0, err := rot.Issue(ctx, jwt.Claims{Subject: "alice", Roles: []string{"admin"}, Scope: "read"})
	require.NoError(t, err)
	c, err := verifier.Verify(ctx, p0.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, p0.FamilyID, c.SessionID, "sid is the family id")
	assert.Equal(t, "alice", c.Subject)
	assert.True(t, p0.AccessExpiresAt.Equal(c.ExpiresAt))

	clock.Advance(time.Second) // within the blocklist replica's staleness bound
	p1, err := rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	c1, err := verifier.Verify(ctx, p1.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, p0.FamilyID, c1.SessionID)
	assert.Equal(t, []string{"admin"}, c1.Roles)
	assert.Equal(t, "read", c1.Scope)
	assert.NotEqual(t, c.ID, c1.ID, "a fresh jti per access token")
	_, err = verifier.Verify(ctx, p0.AccessToken)
	require.NoError(t, err, "before the reuse, the family's access tokens verify")

	_, err = rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	for _, at := range []string{p0.AccessToken, p1.AccessToken} {
		_, err = verifier.Verify(ctx, at)
		require.ErrorIs(t, err, jwt.ErrRevoked, "the family's outstanding access tokens die with it")
		assert.NotContains(t, err.Error(), "stale")
	}

	// An explicit session id is the sid instead.
	p, err := rot.Issue(ctx, jwt.Claims{Subject: "alice", SessionID: "browser-42"})
	require.NoError(t, err)
	c, err = verifier.Verify(ctx, p.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "browser-42", c.SessionID)
	require.NoError(t, rot.Revoke(ctx, p.RefreshToken))
	_, err = verifier.Verify(ctx, p.AccessToken)
	require.ErrorIs(t, err, jwt.ErrRevoked, "logout kills the access token too")
}
