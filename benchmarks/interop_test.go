package benchmarks

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
)

// interopAlgs are the algorithms whose tokens must pass between Credence,
// golang-jwt v5 and go-jose v4 in both directions.
var interopAlgs = []jwt.Algorithm{jwt.ES256, jwt.ES384, jwt.EdDSA, jwt.RS256, jwt.PS256}

// TestCredenceTokensVerifyInPeers: a token issued by Credence verifies in
// golang-jwt and go-jose with the key they read from Credence's JWK Set
// document, and both see the claims Credence put in it.
func TestCredenceTokensVerifyInPeers(t *testing.T) {
	for _, alg := range interopAlgs {
		t.Run(string(alg), func(t *testing.T) {
			f := getFixture(t, alg)
			want := f.token.Claims

			// The published key is what a peer needs and nothing more.
			require.Len(t, f.joseSet.Keys, 1)
			jwk := f.joseSet.Keys[0]
			require.True(t, jwk.Valid())
			require.True(t, jwk.IsPublic(), "the JWK Set must hold public keys only")
			require.Equal(t, string(alg), jwk.Algorithm)
			require.Equal(t, "sig", jwk.Use)
			require.Equal(t, f.key.ID(), jwk.KeyID)
			// The kid is the RFC 7638 thumbprint, as go-jose computes it.
			tp, err := jwk.Thumbprint(crypto.SHA256)
			require.NoError(t, err)
			require.Equal(t, base64.RawURLEncoding.EncodeToString(tp), jwk.KeyID)
			require.Len(t, f.joseSet.Key(f.key.ID()), 1)

			g, err := f.gVerify(f.token.Raw)
			require.NoError(t, err, "golang-jwt")
			require.Equal(t, want.Issuer, g.Issuer)
			require.Equal(t, want.Subject, g.Subject)
			require.Equal(t, want.Audience, []string(g.Audience))
			require.Equal(t, want.ID, g.ID)
			require.Equal(t, want.Scope, g.Scope)
			require.True(t, want.ExpiresAt.Equal(g.ExpiresAt.Time))
			require.True(t, want.IssuedAt.Equal(g.IssuedAt.Time))
			require.True(t, want.NotBefore.Equal(g.NotBefore.Time))
			require.Equal(t, now.Add(jwt.DefaultTTL), want.ExpiresAt)

			j, err := f.joseVerify(f.token.Raw)
			require.NoError(t, err, "go-jose")
			require.Equal(t, want.Issuer, j.Issuer)
			require.Equal(t, want.Subject, j.Subject)
			require.Equal(t, want.Audience, []string(j.Audience))
			require.Equal(t, want.ID, j.ID)
			require.Equal(t, want.Scope, j.Scope)
			require.True(t, want.ExpiresAt.Equal(j.Expiry.Time()))
			require.True(t, want.IssuedAt.Equal(j.IssuedAt.Time()))
			require.True(t, want.NotBefore.Equal(j.NotBefore.Time()))

			// And the peers are really checking: a changed payload fails.
			forged := withPayload(t, f.token.Raw, `{"iss":"`+issuer+`","sub":"admin","aud":"`+audience+`","exp":1800000600,"iat":1800000000,"jti":"x"}`)
			_, err = f.gVerify(forged)
			require.ErrorIs(t, err, gjwt.ErrTokenSignatureInvalid)
			_, err = f.joseVerify(forged)
			require.ErrorIs(t, err, jose.ErrCryptoFailure)
		})
	}
}

// TestPeerTokensVerifyInCredence: tokens signed by golang-jwt and go-jose
// (typ at+jwt, kid, iss, aud, sub, iat, nbf, exp, jti) verify in Credence,
// with the key given directly (StaticKeys) and with the key read from a JWK
// Set document that go-jose wrote (ParseKeySet).
func TestPeerTokensVerifyInCredence(t *testing.T) {
	for _, alg := range interopAlgs {
		t.Run(string(alg), func(t *testing.T) {
			f := getFixture(t, alg)
			pub, err := jwt.NewKey(f.pub, alg)
			require.NoError(t, err)
			require.Equal(t, f.key.ID(), pub.ID())

			doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
				Key: f.pub, KeyID: f.key.ID(), Algorithm: string(alg), Use: "sig",
			}}})
			require.NoError(t, err)
			parsed, err := jwt.ParseKeySet(doc)
			require.NoError(t, err)
			require.Len(t, parsed, 1)
			require.Equal(t, f.key.ID(), parsed[0].ID())
			require.Equal(t, alg, parsed[0].Algorithm())

			sources := map[string]jwt.KeySource{
				"StaticKeys":  jwt.StaticKeys(pub),
				"ParseKeySet": jwt.StaticKeys(parsed...),
			}
			signers := map[string]func() (string, error){
				"golang-jwt": f.signGolangJWT,
				"go-jose":    f.signGoJose,
			}
			for sname, src := range sources {
				v, err := jwt.NewVerifier(src, jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithClock(clock))
				require.NoError(t, err)
				for pname, sign := range signers {
					t.Run(pname+"/"+sname, func(t *testing.T) {
						raw, err := sign()
						require.NoError(t, err)
						c, err := v.Verify(ctx, raw)
						require.NoError(t, err)
						iss, sub, jti, aud := peerClaims(f.key.ID())
						require.Equal(t, iss, c.Issuer)
						require.Equal(t, sub, c.Subject)
						require.Equal(t, aud, c.Audience)
						require.Equal(t, jti, c.ID)
						require.Equal(t, "read", c.Scope)
						require.Equal(t, now, c.IssuedAt)
						require.Equal(t, now, c.NotBefore)
						require.Equal(t, now.Add(5*time.Minute), c.ExpiresAt)
						require.Empty(t, c.Extra)
					})
				}
			}
		})
	}
}

// TestPeerTokensRefusedByCredence: what a peer produces that Credence must
// refuse, each with its sentinel.
func TestPeerTokensRefusedByCredence(t *testing.T) {
	f := getFixture(t, jwt.ES256)
	other := getFixture(t, jwt.EdDSA)
	v, err := jwt.NewVerifier(jwt.StaticKeys(f.key), jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithClock(clock))
	require.NoError(t, err)
	good, err := f.signGolangJWT()
	require.NoError(t, err)
	_, err = v.Verify(ctx, good)
	require.NoError(t, err, "control")

	gSign := func(t *testing.T, method gjwt.SigningMethod, key any, edit func(*gjwt.Token)) string {
		iss, sub, jti, aud := peerClaims(f.key.ID())
		tok := gjwt.NewWithClaims(method, gjwt.RegisteredClaims{
			Issuer: iss, Subject: sub, Audience: aud, ID: jti,
			IssuedAt: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(5 * time.Minute)),
		})
		tok.Header["kid"] = f.key.ID()
		tok.Header["typ"] = "at+jwt"
		if edit != nil {
			edit(tok)
		}
		raw, err := tok.SignedString(key)
		require.NoError(t, err)
		return raw
	}

	cases := []struct {
		name  string
		token func(t *testing.T) string
		want  error
	}{
		{"tampered payload", func(t *testing.T) string {
			return withPayload(t, good, `{"iss":"`+issuer+`","sub":"admin","aud":["`+audience+`"],"exp":1800000300,"iat":1800000000,"jti":"x"}`)
		}, jwt.ErrSignature},
		{"tampered signature", func(t *testing.T) string {
			dot := strings.LastIndexByte(good, '.')
			sig, err := base64.RawURLEncoding.DecodeString(good[dot+1:])
			require.NoError(t, err)
			sig[10] ^= 1
			return good[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
		}, jwt.ErrSignature},
		{"signed by another ES256 key under the same kid", func(t *testing.T) string {
			k, err := generateRaw(jwt.ES256)
			require.NoError(t, err)
			return gSign(t, gjwt.SigningMethodES256, k, nil)
		}, jwt.ErrSignature},
		{"EdDSA signature under the ES256 key's kid", func(t *testing.T) string {
			return gSign(t, gjwt.SigningMethodEdDSA, other.priv, nil)
		}, jwt.ErrAlgorithm},
		{"HS256 with the public key as secret", func(t *testing.T) string {
			return gSign(t, gjwt.SigningMethodHS256, []byte(f.jwks), nil)
		}, jwt.ErrAlgorithm},
		{"golang-jwt's default typ JWT", func(t *testing.T) string {
			return gSign(t, gjwt.SigningMethodES256, f.priv, func(tok *gjwt.Token) { tok.Header["typ"] = "JWT" })
		}, jwt.ErrType},
		{"unknown kid", func(t *testing.T) string {
			return gSign(t, gjwt.SigningMethodES256, f.priv, func(tok *gjwt.Token) { tok.Header["kid"] = "nope" })
		}, jwt.ErrUnknownKey},
		{"crit header", func(t *testing.T) string {
			return gSign(t, gjwt.SigningMethodES256, f.priv, func(tok *gjwt.Token) { tok.Header["crit"] = []string{"exp"} })
		}, jwt.ErrMalformed},
		{"no exp", func(t *testing.T) string {
			tok := gjwt.NewWithClaims(gjwt.SigningMethodES256, gjwt.MapClaims{
				"iss": issuer, "aud": audience, "sub": "u", "iat": now.Unix(), "jti": "j",
			})
			tok.Header["kid"], tok.Header["typ"] = f.key.ID(), "at+jwt"
			raw, err := tok.SignedString(f.priv)
			require.NoError(t, err)
			return raw
		}, jwt.ErrMissingClaim},
		{"exp as a string", func(t *testing.T) string {
			tok := gjwt.NewWithClaims(gjwt.SigningMethodES256, gjwt.MapClaims{
				"iss": issuer, "aud": audience, "sub": "u", "iat": now.Unix(), "jti": "j",
				"exp": "1800000300",
			})
			tok.Header["kid"], tok.Header["typ"] = f.key.ID(), "at+jwt"
			raw, err := tok.SignedString(f.priv)
			require.NoError(t, err)
			return raw
		}, jwt.ErrMalformed},
		{"wrong audience", func(t *testing.T) string {
			tok := gjwt.NewWithClaims(gjwt.SigningMethodES256, gjwt.RegisteredClaims{
				Issuer: issuer, Subject: "u", Audience: gjwt.ClaimStrings{"https://other.example"}, ID: "j",
				IssuedAt: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(time.Minute)),
			})
			tok.Header["kid"], tok.Header["typ"] = f.key.ID(), "at+jwt"
			raw, err := tok.SignedString(f.priv)
			require.NoError(t, err)
			return raw
		}, jwt.ErrAudience},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.token(t)
			c, err := v.Verify(ctx, raw)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, c)
		})
	}
}

// TestCredenceRefusesWhatPeersAccept shows the strictness gap on one token
// that golang-jwt v5 accepts (it does not read crit) and Credence refuses.
func TestCredenceRefusesWhatPeersAccept(t *testing.T) {
	f := getFixture(t, jwt.ES256)
	iss, sub, jti, aud := peerClaims(f.key.ID())
	tok := gjwt.NewWithClaims(gjwt.SigningMethodES256, gjwt.RegisteredClaims{
		Issuer: iss, Subject: sub, Audience: aud, ID: jti,
		IssuedAt: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(5 * time.Minute)),
	})
	tok.Header["kid"], tok.Header["typ"], tok.Header["crit"] = f.key.ID(), "at+jwt", []string{"urn:example:must-understand"}
	raw, err := tok.SignedString(f.priv)
	require.NoError(t, err)

	_, err = f.gVerify(raw)
	require.NoError(t, err, "golang-jwt ignores crit")
	_, err = f.verifier.Verify(ctx, raw)
	require.ErrorIs(t, err, jwt.ErrMalformed)
}

// withPayload replaces the payload segment of raw, keeping its header and
// signature.
func withPayload(t *testing.T, raw, payload string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	out := strings.Join(parts, ".")
	require.NotEqual(t, raw, out)
	return out
}
