package jwt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSmokeRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{ES256, ES384, ES512, EdDSA, RS256, PS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := GenerateKey(alg)
			require.NoError(t, err)
			ks, err := NewKeySet(k)
			require.NoError(t, err)
			iss, err := NewIssuer(ks, WithIssuer("https://issuer.test"), WithAudience("api"))
			require.NoError(t, err)
			tok, err := iss.Issue(context.Background(), Claims{Subject: "alice", Scope: "read write", Extra: map[string]any{"tenant": "t1"}})
			require.NoError(t, err)
			opts := []Option{WithIssuer("https://issuer.test"), WithAudience("api")}
			if alg.IsSymmetric() {
				opts = append(opts, WithAlgorithms(alg))
			}
			v, err := NewVerifier(ks, opts...)
			require.NoError(t, err)
			c, err := v.Verify(context.Background(), tok.Raw)
			require.NoError(t, err)
			require.Equal(t, "alice", c.Subject)
			require.Equal(t, []string{"api"}, c.Audience)
			require.Equal(t, "t1", c.Extra["tenant"])
			require.WithinDuration(t, time.Now().Add(10*time.Minute), c.ExpiresAt, 2*time.Second)
			require.True(t, c.HasScope("write"))
		})
	}
}

func TestHasScope(t *testing.T) {
	cases := []struct {
		scope, want string
		ok          bool
	}{
		{"read write", "read", true},
		{"read write", "write", true},
		{"read write", "wri", false},
		{"read  write", "", false}, // an empty scope is never granted, even between two spaces
		{"", "", false},
		{" read", "read", true},
		{"readwrite", "read", false},
	}
	for _, c := range cases {
		got := (&Claims{Scope: c.scope}).HasScope(c.want)
		require.Equal(t, c.ok, got, "%q has %q", c.scope, c.want)
	}
}
