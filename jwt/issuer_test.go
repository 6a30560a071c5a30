package jwt

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// vtDecode returns a token's header and claims as generic JSON.
func vtDecode(t testing.TB, raw string) (header, claims map[string]any) {
	t.Helper()
	h, p, _, err := splitCompact(raw)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(mustDecode(t, h), &header))
	require.NoError(t, json.Unmarshal(mustDecode(t, p), &claims))
	return header, claims
}

func TestIssuerSetsClaimsAndHeader(t *testing.T) {
	now := vtT0.Add(1500 * time.Millisecond) // sub-second: truncated on the wire
	clock := newVTClock(now)
	for _, alg := range []Algorithm{ES256, EdDSA, RS256, PS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := vtKey(t, alg, 0)
			ks, err := NewKeySet(k)
			require.NoError(t, err)
			is := vtIssuer(t, ks, clock.Now)
			tok, err := is.Issue(context.Background(), Claims{Subject: "alice", Scope: "read", Roles: []string{"r"}, SessionID: "s", ClientID: "c", Extra: map[string]any{"tenant": "t1"}})
			require.NoError(t, err)

			h, c := vtDecode(t, tok.Raw)
			require.Equal(t, map[string]any{"alg": string(alg), "kid": k.id, "typ": "at+jwt"}, h)
			sec := float64(vtT0.Unix() + 1)
			require.Equal(t, map[string]any{
				"iss": vtIss, "sub": "alice", "aud": vtAud,
				"iat": sec, "nbf": sec, "exp": sec + 600, // default lifetime 10 min
				"jti": c["jti"], "sid": "s", "client_id": "c", "scope": "read", "roles": []any{"r"}, "tenant": "t1",
			}, c)
			jti, _ := c["jti"].(string)
			require.Len(t, mustDecode(t, jti), 16, "jti: 128 random bits")

			// Token.Claims is what was signed.
			require.Equal(t, vtIss, tok.Claims.Issuer)
			require.Equal(t, []string{vtAud}, tok.Claims.Audience)
			require.Equal(t, jti, tok.Claims.ID)
			require.Equal(t, time.Unix(vtT0.Unix()+1, 0).UTC(), tok.Claims.IssuedAt)
			require.Equal(t, tok.Claims.IssuedAt.Add(DefaultTTL), tok.Claims.ExpiresAt)

			opts := []Option{}
			if alg.IsSymmetric() {
				opts = append(opts, WithAlgorithms(alg))
			}
			got, err := vtVerifier(t, ks, clock.Now, opts...).Verify(context.Background(), tok.Raw)
			require.NoError(t, err)
			require.Equal(t, &tok.Claims, got)
		})
	}
}

func TestIssuerRandomJTI(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, EdDSA, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok, err := is.Issue(context.Background(), Claims{Subject: "alice", ID: "caller-chosen"})
		require.NoError(t, err)
		require.NotEqual(t, "caller-chosen", tok.Claims.ID, "the issuer always sets jti")
		require.False(t, seen[tok.Claims.ID])
		seen[tok.Claims.ID] = true
	}
}

func TestIssuerOverridesCallerRegisteredClaims(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	tok, err := is.Issue(context.Background(), Claims{
		Issuer: "https://evil.test", Subject: "alice", Audience: []string{"a", "b"},
		IssuedAt: vtT0.Add(-time.Hour), NotBefore: vtT0.Add(time.Hour),
	})
	require.NoError(t, err)
	_, c := vtDecode(t, tok.Raw)
	require.Equal(t, vtIss, c["iss"])
	require.Equal(t, []any{"a", "b"}, c["aud"], "the token's own audience wins over the default")
	require.Equal(t, float64(vtT0.Unix()), c["iat"])
	require.Equal(t, float64(vtT0.Unix()), c["nbf"])
}

func TestIssuerExpiry(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now, WithTTL(5*time.Minute))
	for _, tc := range []struct {
		name string
		exp  time.Time
		want time.Time
		err  error
	}{
		{"default", time.Time{}, vtT0.Add(5 * time.Minute), nil},
		{"earlier than the TTL", vtT0.Add(time.Minute), vtT0.Add(time.Minute), nil},
		{"later than the TTL: capped", vtT0.Add(time.Hour), vtT0.Add(5 * time.Minute), nil},
		{"now", vtT0, time.Time{}, ErrInvalidOption},
		{"past", vtT0.Add(-time.Second), time.Time{}, ErrInvalidOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := is.Issue(context.Background(), Claims{Subject: "a", ExpiresAt: tc.exp})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, tok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, tok.Claims.ExpiresAt)
		})
	}
}

func TestIssuerLifetimeLimit(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	_, err = NewIssuer(ks, WithIssuer(vtIss), WithTTL(15*time.Minute+time.Second))
	require.ErrorIs(t, err, ErrInvalidOption, "over 15 minutes without AllowLongLived")
	_, err = NewIssuer(ks, WithIssuer(vtIss), WithTTL(15*time.Minute))
	require.NoError(t, err)

	long := vtIssuer(t, ks, clock.Now, WithTTL(24*time.Hour), AllowLongLived())
	tok, err := long.Issue(context.Background(), Claims{Subject: "alice"})
	require.NoError(t, err)
	require.Equal(t, vtT0.Add(24*time.Hour), tok.Claims.ExpiresAt)
	// A default verifier refuses it: access tokens are short-lived.
	c, err := vtVerifier(t, ks, clock.Now).Verify(context.Background(), tok.Raw)
	requireRefused(t, c, err, ErrLifetime)
	// Accepted only by a verifier that opts in too.
	c, err = vtVerifier(t, ks, clock.Now, AllowLongLived()).Verify(context.Background(), tok.Raw)
	require.NoError(t, err)
	require.Equal(t, "alice", c.Subject)
}

func TestIssuerRefusesRegisteredNamesInExtra(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	for _, name := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", "scope", "roles", "typ", "alg", "kid", "cnf", "act", ""} {
		t.Run(name, func(t *testing.T) {
			tok, err := is.Issue(context.Background(), Claims{Subject: "a", Extra: map[string]any{name: "x"}})
			require.ErrorIs(t, err, ErrInvalidOption)
			require.Nil(t, tok)
		})
	}
	// Values that are not JSON are refused too.
	_, err = is.Issue(context.Background(), Claims{Subject: "a", Extra: map[string]any{"c": make(chan int)}})
	require.ErrorIs(t, err, ErrInvalidOption)
	_, err = is.Issue(context.Background(), Claims{Subject: "a", Extra: map[string]any{"bad\xffname": 1}})
	require.ErrorIs(t, err, ErrInvalidOption)
}

func TestNewIssuerOptions(t *testing.T) {
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	for name, opts := range map[string][]Option{
		"no issuer":                 {WithAudience(vtAud)},
		"verifier-only AnyAudience": {WithIssuer(vtIss), AnyAudience()},
		"verifier-only algorithms":  {WithIssuer(vtIss), WithAlgorithms(ES256)},
		"verifier-only leeway":      {WithIssuer(vtIss), WithLeeway(time.Second)},
		"verifier-only claims":      {WithIssuer(vtIss), WithRequiredClaims("sub")},
		"verifier-only revocation":  {WithIssuer(vtIss), WithRevocation(&vtRecorder{})},
		"verifier-only cache":       {WithIssuer(vtIss), WithCache(8)},
		"verifier-only max size":    {WithIssuer(vtIss), WithMaxTokenSize(4096)},
		"empty type":                {WithIssuer(vtIss), WithType("")},
		"zero TTL":                  {WithIssuer(vtIss), WithTTL(0)},
		"negative TTL":              {WithIssuer(vtIss), WithTTL(-time.Minute)},
		"TTL over 15 min":           {WithIssuer(vtIss), WithTTL(time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			is, err := NewIssuer(ks, opts...)
			require.ErrorIs(t, err, ErrInvalidOption)
			require.Nil(t, is)
		})
	}
	_, err = NewIssuer(nil, WithIssuer(vtIss))
	require.ErrorIs(t, err, ErrInvalidOption)
}

func TestIssuerCustomTypeAndContext(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now, WithType("dpop+jwt"))
	tok, err := is.Issue(context.Background(), Claims{Subject: "a"})
	require.NoError(t, err)
	h, _ := vtDecode(t, tok.Raw)
	require.Equal(t, "dpop+jwt", h["typ"])
	// A default verifier wants at+jwt.
	c, err := vtVerifier(t, ks, clock.Now).Verify(context.Background(), tok.Raw)
	requireRefused(t, c, err, ErrType)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tok, err = is.Issue(ctx, Claims{Subject: "a"})
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, tok)
}

func TestIssuerFollowsRotation(t *testing.T) {
	clock := newVTClock(vtT0)
	a, b := vtKey(t, ES256, 0), vtKey(t, EdDSA, 0)
	ks, err := NewKeySet(a)
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	v := vtVerifier(t, ks, clock.Now)
	t1, err := is.Issue(context.Background(), Claims{Subject: "a"})
	require.NoError(t, err)
	require.NoError(t, ks.Rotate(b))
	t2, err := is.Issue(context.Background(), Claims{Subject: "a"})
	require.NoError(t, err)
	h1, _ := vtDecode(t, t1.Raw)
	h2, _ := vtDecode(t, t2.Raw)
	require.Equal(t, a.id, h1["kid"])
	require.Equal(t, b.id, h2["kid"])
	require.Equal(t, "EdDSA", h2["alg"])
	for _, tok := range []string{t1.Raw, t2.Raw} {
		_, err := v.Verify(context.Background(), tok)
		require.NoError(t, err)
	}
}

func TestIssuerEscapesStrings(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	v := vtVerifier(t, ks, clock.Now)
	for _, s := range []string{"a\"b", "a\\b", "line\nbreak", "nul\x00", "\u2028\u2029", "</script>", "ünï", "\x7f", strings.Repeat("é", 100)} {
		tok, err := is.Issue(context.Background(), Claims{Subject: s, Roles: []string{s}, Audience: []string{vtAud, s}})
		require.NoError(t, err)
		c, err := v.Verify(context.Background(), tok.Raw)
		require.NoError(t, err, "%q", s)
		require.Equal(t, s, c.Subject)
		require.Equal(t, []string{s}, c.Roles)
		require.Equal(t, []string{vtAud, s}, c.Audience)
	}
}

// TestIssuerRefusesInvalidUTF8: JSON cannot carry invalid UTF-8. Replacing
// it with U+FFFD made distinct identities collide ("a\xffb" and "a\xfeb"
// both became the subject "a\uFFFDb", which a third user may hold) and made
// Token.Claims differ from what was signed. Issue refuses instead.
func TestIssuerRefusesInvalidUTF8(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	const bad = "a\xffb"
	for name, c := range map[string]Claims{
		"sub":                          {Subject: bad},
		"aud":                          {Subject: "a", Audience: []string{vtAud, bad}},
		"sid":                          {Subject: "a", SessionID: bad},
		"client_id":                    {Subject: "a", ClientID: bad},
		"scope":                        {Subject: "a", Scope: "read " + bad},
		"roles":                        {Subject: "a", Roles: []string{"user", bad}},
		"lone surrogate in UTF-8 form": {Subject: "a\xed\xa0\x80b"},
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := is.Issue(context.Background(), c)
			require.ErrorIs(t, err, ErrInvalidOption)
			require.Nil(t, tok)
		})
	}
	// U+FFFD itself is a valid character and is carried as it is.
	v := vtVerifier(t, ks, clock.Now)
	tok, err := is.Issue(context.Background(), Claims{Subject: "a\uFFFDb"})
	require.NoError(t, err)
	c, err := v.Verify(context.Background(), tok.Raw)
	require.NoError(t, err)
	require.Equal(t, "a\uFFFDb", c.Subject)
}
