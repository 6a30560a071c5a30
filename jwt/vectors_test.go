package jwt

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The public JOSE corpus (see testdata/jose-vectors/README.md at the root of
// the module): RFC vectors that must verify, constructed attack tokens that
// must be refused, each under a verifier profile, with positive controls.

const vecDir = "../testdata/jose-vectors"

func vecLoad(t testing.TB, rel string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, rel))
	require.NoError(t, err, "the corpus is part of the repository")
	require.NoError(t, json.Unmarshal(b, v))
}

type vecKeysFile struct {
	Keys map[string]struct {
		Role       string          `json:"role"`
		Alg        Algorithm       `json:"alg"`
		PrivateJWK json.RawMessage `json:"private_jwk"`
		PublicJWK  json.RawMessage `json:"public_jwk"`
	} `json:"keys"`
	TrustedJWKS json.RawMessage `json:"trusted_jwks"`
	Profiles    map[string]struct {
		AllowedAlgs []Algorithm `json:"allowed_algs"`
		Keys        []string    `json:"keys"`
	} `json:"profiles"`
}

type vecNegativeFile struct {
	Controls []struct {
		ID       string   `json:"id"`
		Token    string   `json:"token"`
		Profiles []string `json:"verifier_profiles"`
	} `json:"positive_controls"`
	Count int `json:"count"`
	Cases []struct {
		ID       string `json:"id"`
		Category string `json:"category"`
		Profile  string `json:"verifier_profile"`
		Token    string `json:"token"`
		Expected string `json:"expected"`
		Strength string `json:"strength"`
		Control  string `json:"positive_control"`
	} `json:"cases"`
}

// vecProfileVerifier builds the verifier a profile of keys.json describes.
//
// The controls carry {"iss":"joe","exp":4102444800,...}: no typ at+jwt, no
// aud, sub, iat or jti, and an exp in 2100. So the profile verifier accepts
// any typ (WithType("")), requires no claim but exp, skips the audience
// check, allows long-lived tokens, and otherwise keeps every default strict
// check. It runs on the real clock, as the corpus README asks.
//
// Single-key profiles use StaticKeys(key): "kid ignored" in the corpus, but
// Credence still refuses a kid that names another key (stricter, and the
// tampered-kid cases are refused either way). JWKS-strict-kid uses the
// trusted_jwks document through ParseKeySet.
func vecProfileVerifier(t testing.TB, kf *vecKeysFile, name string) *Verifier {
	t.Helper()
	p, ok := kf.Profiles[name]
	require.True(t, ok, "profile %q", name)
	var src KeySource
	if name == "JWKS-strict-kid" {
		keys, err := ParseKeySet(kf.TrustedJWKS)
		require.NoError(t, err)
		require.Len(t, keys, len(p.Keys))
		src = StaticKeys(keys...)
	} else {
		require.Len(t, p.Keys, 1)
		kd := kf.Keys[p.Keys[0]]
		jwk := kd.PublicJWK
		if string(jwk) == "null" {
			jwk = kd.PrivateJWK // HMAC: the secret is the key
		}
		k, err := ParseKey(jwk)
		require.NoError(t, err)
		require.Equal(t, kd.Alg, k.Algorithm())
		src = StaticKeys(k)
	}
	v, err := NewVerifier(src, WithIssuer("joe"), AnyAudience(), WithType(""), WithRequiredClaims(),
		AllowLongLived(), WithAlgorithms(p.AllowedAlgs...))
	require.NoError(t, err)
	return v
}

// vecNegativeWant maps each corpus category to the sentinels its cases may
// be refused with. Where two checks can both catch a case (a truncated
// signature can be non-canonical base64 before it is a wrong signature), the
// set has both; cases whose reason pins one check are listed by id below.
var vecNegativeWant = map[string][]error{
	"alg-none":             {ErrAlgorithm, ErrMalformed}, // "h.p." is refused as malformed before the header is read
	"signature-stripped":   {ErrMalformed},
	"payload-tampered":     {ErrSignature},
	"header-tampered":      {ErrSignature, ErrUnknownKey}, // a changed kid no longer names the key
	"signature-tampered":   {ErrSignature, ErrMalformed},
	"alg-confusion":        {ErrAlgorithm},
	"alg-not-allowed":      {ErrAlgorithm},
	"weak-hmac-key":        {ErrSignature},
	"ecdsa-signature-edge": {ErrSignature},
	"wrong-key":            {ErrSignature},
	"kid":                  {ErrUnknownKey, ErrAlgorithm},
	"embedded-key":         {ErrSignature, ErrUnknownKey},
	"remote-key-url":       {ErrSignature, ErrUnknownKey},
	"crit":                 {ErrMalformed},
	"b64":                  {ErrMalformed},
	"header-format":        {ErrMalformed},
	"serialization":        {ErrMalformed},
	"claims-format":        {ErrMalformed},
}

var vecNegativeWantByID = map[string][]error{
	"alg-none-none":                     {ErrMalformed}, // empty signature segment
	"alg-none-None":                     {ErrMalformed},
	"alg-none-NONE":                     {ErrMalformed},
	"alg-none-nOnE":                     {ErrMalformed},
	"alg-none-keeps-original-signature": {ErrAlgorithm},
	"kid-unknown-trusted-signer":        {ErrUnknownKey},
	"kid-unknown-attacker-signer":       {ErrUnknownKey},
	"kid-missing-trusted-signer":        {ErrUnknownKey},
	"kid-points-to-other-key-type":      {ErrAlgorithm},
	// The injection tokens are HS256-signed: the allow-list refuses them
	// before the kid is looked at.
	"kid-injection-dev-null-empty-key":      {ErrAlgorithm},
	"kid-injection-dev-null-zero-byte":      {ErrAlgorithm},
	"kid-injection-sql-injection":           {ErrAlgorithm},
	"claims-expired":                        {ErrExpired},
	"claims-nbf-future":                     {ErrNotYetValid},
	"claims-exp-string":                     {ErrMalformed},
	"sig-bitflip-RS256":                     {ErrSignature},
	"sig-bitflip-EdDSA":                     {ErrSignature},
	"jku-attacker-trusted-kid":              {ErrSignature},
	"x5u-attacker-trusted-kid":              {ErrSignature},
	"jwk-embedded-attacker-rsa-trusted-kid": {ErrSignature},
	// {"alg":"none",...,"alg":"RS256"}: the first alg is refused before
	// the duplicate is reached; either way it never verifies.
	"header-duplicate-alg": {ErrAlgorithm, ErrMalformed},
}

func TestCorpusNegativeVectors(t *testing.T) {
	var kf vecKeysFile
	vecLoad(t, "keys/keys.json", &kf)
	var nf vecNegativeFile
	vecLoad(t, "negative/negative_vectors.json", &nf)
	require.Len(t, nf.Cases, nf.Count)
	require.Len(t, nf.Controls, 4)

	ctx := context.Background()
	verifiers := map[string]*Verifier{}
	for name := range kf.Profiles {
		verifiers[name] = vecProfileVerifier(t, &kf, name)
	}

	controls := map[string]string{}
	for _, c := range nf.Controls {
		controls[c.ID] = c.Token
		for _, p := range c.Profiles {
			t.Run("control/"+c.ID+"/"+p, func(t *testing.T) {
				claims, err := verifiers[p].Verify(ctx, c.Token)
				require.NoError(t, err)
				require.Equal(t, "joe", claims.Issuer)
				require.Equal(t, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), claims.ExpiresAt)
				require.Equal(t, true, claims.Extra["http://example.com/is_root"])
			})
		}
	}

	for _, tc := range nf.Cases {
		t.Run(tc.Category+"/"+tc.ID, func(t *testing.T) {
			require.Equal(t, "reject", tc.Expected)
			v := verifiers[tc.Profile]
			require.NotNil(t, v, "profile %q", tc.Profile)

			// The same configuration accepts the case's positive control.
			ctl, ok := controls[tc.Control]
			require.True(t, ok, "control %q", tc.Control)
			_, err := v.Verify(ctx, ctl)
			require.NoError(t, err, "positive control %s under %s", tc.Control, tc.Profile)

			want := vecNegativeWantByID[tc.ID]
			if want == nil {
				want = vecNegativeWant[tc.Category]
			}
			require.NotNil(t, want, "no expected sentinel for category %q", tc.Category)
			// Every strength is refused: MUST and SHOULD because the corpus
			// requires it, MAY (crit [] and crit ["alg"], duplicate alg)
			// and POLICY (unknown or missing kid under strict kid
			// matching) because Credence takes the stricter choice: any
			// crit is refused, duplicate members are refused, and a key is
			// found by exact kid only.
			claims, err := v.Verify(ctx, tc.Token)
			requireRefused(t, claims, err, want...)
		})
	}
}

type vecValidFile struct {
	Count   int `json:"count"`
	Vectors []struct {
		ID             string          `json:"id"`
		Alg            Algorithm       `json:"alg"`
		Compact        string          `json:"compact"`
		PublicJWK      json.RawMessage `json:"public_jwk"`
		PrivateJWK     json.RawMessage `json:"private_jwk"`
		PayloadB64     string          `json:"expected_payload_b64url"`
		ExpectedClaims map[string]any  `json:"expected_claims"`
		Expected       struct {
			JWSValid bool   `json:"jws_signature_valid"`
			JWT      string `json:"jwt"`
		} `json:"expected"`
	} `json:"vectors"`
}

// vecValidClock is a moment before the RFC JWTs' exp (1300819380).
var vecValidClock = time.Unix(1300819000, 0)

// vecValidKey reads a vector's key bound to the vector's algorithm. RFC 7520
// publishes its RSA key without alg, so RSA keys are rebound (PS384).
func vecValidKey(t testing.TB, pub, priv json.RawMessage, alg Algorithm) *Key {
	t.Helper()
	jwk := pub
	if len(jwk) == 0 || string(jwk) == "null" {
		jwk = priv
	}
	k, err := ParseKey(jwk)
	require.NoError(t, err)
	if k.Algorithm() != alg {
		k, err = k.WithAlgorithm(alg)
		require.NoError(t, err)
	}
	return k
}

func TestCorpusValidVectors(t *testing.T) {
	var vf vecValidFile
	vecLoad(t, "valid/valid_vectors.json", &vf)
	require.Len(t, vf.Vectors, vf.Count)
	ctx := context.Background()
	for _, vec := range vf.Vectors {
		t.Run(vec.ID, func(t *testing.T) {
			require.True(t, vec.Expected.JWSValid)
			k := vecValidKey(t, vec.PublicJWK, vec.PrivateJWK, vec.Alg)

			// JWS level: the signature layer accepts the published
			// signature over the exact signing input, and refuses it over
			// a changed one.
			h, p, s, err := splitCompact(vec.Compact)
			require.NoError(t, err)
			require.Equal(t, vec.PayloadB64, p)
			sig, err := decodeSegment(nil, s, "signature")
			require.NoError(t, err)
			require.True(t, k.verify([]byte(h+"."+p), sig), "signature layer refuses the RFC signature")
			require.False(t, k.verify([]byte(h+"."+p+"x"), sig))

			// JWT level, with a verifier holding only this key: the RFC
			// tokens carry typ JWT or none, and iss/exp only.
			v, err := NewVerifier(StaticKeys(k), WithIssuer("joe"), AnyAudience(), WithType(""),
				WithRequiredClaims(), WithAlgorithms(vec.Alg), WithClock(func() time.Time { return vecValidClock }))
			require.NoError(t, err)
			claims, err := v.Verify(ctx, vec.Compact)
			switch vec.Expected.JWT {
			case "valid_if_clock_before_exp":
				require.NoError(t, err)
				require.Equal(t, "joe", claims.Issuer)
				require.Equal(t, int64(vec.ExpectedClaims["exp"].(float64)), claims.ExpiresAt.Unix())
				require.Equal(t, true, claims.Extra["http://example.com/is_root"])

				// The same token is correctly refused as expired on the
				// real clock.
				v2, err := NewVerifier(StaticKeys(k), WithIssuer("joe"), AnyAudience(), WithType(""),
					WithRequiredClaims(), WithAlgorithms(vec.Alg))
				require.NoError(t, err)
				claims, err = v2.Verify(ctx, vec.Compact)
				requireRefused(t, claims, err, ErrExpired)
			case "reject_payload_not_json_object":
				// Signed text, not claims: the signature passes, the
				// payload is refused.
				requireRefused(t, claims, err, ErrMalformed)
			default:
				t.Fatalf("unknown expectation %q", vec.Expected.JWT)
			}
		})
	}
}
