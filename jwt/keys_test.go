package jwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGenerateKeyEveryAlgorithm(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			k := vtKey(t, alg, 0)
			require.Equal(t, alg, k.Algorithm())
			require.True(t, k.CanSign())
			msg := []byte("signing input")
			sig, err := k.sign(msg)
			require.NoError(t, err)
			require.True(t, k.verify(msg, sig))
			require.False(t, k.verify([]byte("other input"), sig))
			if alg.IsSymmetric() {
				require.Nil(t, k.Public(), "HMAC keys are never published")
				_, err := json.Marshal(k)
				require.ErrorIs(t, err, ErrInvalidKey)
				return
			}
			pub := k.Public()
			require.False(t, pub.CanSign())
			require.True(t, pub.verify(msg, sig))
			require.Equal(t, k.ID(), pub.ID())
			require.Same(t, pub, pub.Public())
		})
	}
	_, err := GenerateKey("none")
	require.ErrorIs(t, err, ErrAlgorithm)
	_, err = GenerateKey("")
	require.ErrorIs(t, err, ErrAlgorithm)
}

func TestGeneratedKeyIDIsThumbprint(t *testing.T) {
	// RFC 7638 §3.1: the example RSA key and its thumbprint.
	raw, err := b64.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	require.NoError(t, err)
	k, err := NewKey(&rsa.PublicKey{N: new(big.Int).SetBytes(raw), E: 65537}, RS256)
	require.NoError(t, err)
	require.Equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", k.ID())
	// The ID does not depend on the algorithm the key is bound to.
	ps, err := k.WithAlgorithm(PS256)
	require.NoError(t, err)
	require.Equal(t, k.ID(), ps.ID())
	require.Equal(t, PS256, ps.Algorithm())
	require.Equal(t, RS256, k.Algorithm(), "WithAlgorithm returns a copy")
}

func TestNewKeyBindsKeyTypeToAlgorithm(t *testing.T) {
	ec256 := vtKey(t, ES256, 0).signer
	ec384 := vtKey(t, ES384, 0).signer
	ec521 := vtKey(t, ES512, 0).signer
	ed := vtKey(t, EdDSA, 0).signer
	rs := vtKey(t, RS256, 0).signer
	for _, tc := range []struct {
		name string
		key  any
		alg  Algorithm
		want error
	}{
		{"P-256 with ES256", ec256, ES256, nil},
		{"P-256 public with ES256", ec256.Public(), ES256, nil},
		{"P-384 with ES384", ec384, ES384, nil},
		{"P-521 with ES512", ec521, ES512, nil},
		{"Ed25519 with EdDSA", ed, EdDSA, nil},
		{"Ed25519 public with EdDSA", ed.Public(), EdDSA, nil},
		{"RSA with RS256", rs, RS256, nil},
		{"RSA with PS512", rs, PS512, nil},
		{"RSA public with RS384", rs.Public(), RS384, nil},
		{"P-256 with ES384", ec256, ES384, ErrInvalidKey},
		{"P-256 with ES512", ec256, ES512, ErrInvalidKey},
		{"P-384 with ES256", ec384, ES256, ErrInvalidKey},
		{"P-521 with ES384", ec521.Public(), ES384, ErrInvalidKey},
		{"P-256 with EdDSA", ec256, EdDSA, ErrInvalidKey},
		{"P-256 with RS256", ec256, RS256, ErrInvalidKey},
		{"RSA with ES256", rs, ES256, ErrInvalidKey},
		{"RSA with EdDSA", rs.Public(), EdDSA, ErrInvalidKey},
		{"Ed25519 with ES256", ed, ES256, ErrInvalidKey},
		{"Ed25519 with PS256", ed.Public(), PS256, ErrInvalidKey},
		{"RSA public with HS256", rs.Public(), HS256, ErrInvalidKey},
		{"P-256 with HS256", ec256, HS256, ErrInvalidKey},
		{"bytes with HS256", make([]byte, 32), HS256, ErrInvalidKey},
		{"nil", nil, ES256, ErrInvalidKey},
		{"string", "key", ES256, ErrInvalidKey},
		{"ecdsa value, not pointer", *(ec256.(*ecdsa.PrivateKey)), ES256, ErrInvalidKey},
		{"short Ed25519 private key", ed.(ed25519.PrivateKey)[:32], EdDSA, ErrInvalidKey},
		{"short Ed25519 public key", ed.Public().(ed25519.PublicKey)[:31], EdDSA, ErrInvalidKey},
		{"unknown algorithm", ec256, "ES256K", ErrAlgorithm},
		{"none", ec256, "none", ErrAlgorithm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKey(tc.key, tc.alg)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.Nil(t, k)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.alg, k.Algorithm())
			require.NotEmpty(t, k.ID())
		})
	}
	// WithAlgorithm keeps the binding rules.
	_, err := vtKey(t, ES256, 0).WithAlgorithm(ES384)
	require.ErrorIs(t, err, ErrInvalidKey)
	_, err = vtKey(t, RS256, 0).WithAlgorithm(HS256)
	require.ErrorIs(t, err, ErrInvalidKey)
	_, err = vtKey(t, RS256, 0).WithAlgorithm("none")
	require.ErrorIs(t, err, ErrAlgorithm)
	h, err := vtKey(t, HS256, 0).WithAlgorithm(HS512)
	require.ErrorIs(t, err, ErrInvalidKey, "a 32-byte secret is too short for HS512")
	require.Nil(t, h)
}

// A signature made for one algorithm never verifies under another, even
// with the same key material.
func TestSignatureBoundToAlgorithm(t *testing.T) {
	rs := vtKey(t, RS256, 0)
	msg := []byte("m")
	sig := mustSign(t, rs, "m")
	for _, alg := range []Algorithm{RS384, RS512, PS256, PS384, PS512} {
		other, err := rs.WithAlgorithm(alg)
		require.NoError(t, err)
		require.False(t, other.verify(msg, sig), alg)
		require.True(t, other.verify(msg, mustSign(t, other, "m")), alg)
	}
	// PSS with a salt length other than the hash size is refused (RFC 7518
	// §3.5), though rsa.VerifyPSS would auto-detect it.
	ps, err := rs.WithAlgorithm(PS256)
	require.NoError(t, err)
	h := hashInto(ps.info, msg, nil)
	for _, salt := range []int{0, 20, 64} {
		s, err := rsa.SignPSS(rand.Reader, rs.signer.(*rsa.PrivateKey), crypto.SHA256, h, &rsa.PSSOptions{SaltLength: salt})
		require.NoError(t, err)
		require.False(t, ps.verify(msg, s), "salt %d", salt)
	}
}

func TestNewHMACKey(t *testing.T) {
	for _, tc := range []struct {
		alg  Algorithm
		n    int
		want error
	}{
		{HS256, 32, nil}, {HS256, 31, ErrInvalidKey}, {HS256, 0, ErrInvalidKey}, {HS256, 100, nil},
		{HS384, 48, nil}, {HS384, 47, ErrInvalidKey},
		{HS512, 64, nil}, {HS512, 63, ErrInvalidKey},
		{RS256, 64, ErrAlgorithm}, {"none", 64, ErrAlgorithm},
	} {
		k, err := NewHMACKey(make([]byte, tc.n), tc.alg)
		if tc.want != nil {
			require.ErrorIs(t, err, tc.want, "%s %d", tc.alg, tc.n)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.alg, k.Algorithm())
	}
	// The secret is copied: the caller may wipe its buffer.
	secret := make([]byte, 32)
	secret[0] = 1
	k, err := NewHMACKey(secret, HS256)
	require.NoError(t, err)
	sig := mustSign(t, k, "m")
	secret[0] = 2
	require.True(t, k.verify([]byte("m"), sig))
	// Two keys from one secret get distinct random IDs (a thumbprint would
	// leak a hash of the secret).
	k2, err := NewHMACKey(secret, HS256)
	require.NoError(t, err)
	require.NotEqual(t, k.ID(), k2.ID())
}

// vtKMS is a crypto.Signer that is not a standard library key type, as a
// KMS or HSM client would be.
type vtKMS struct {
	inner crypto.Signer
	calls atomic.Int64
}

func (s *vtKMS) Public() crypto.PublicKey { return s.inner.Public() }
func (s *vtKMS) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.calls.Add(1)
	return s.inner.Sign(r, digest, opts)
}

func TestNewKeyWithCryptoSigner(t *testing.T) {
	clock := newVTClock(vtT0)
	for _, alg := range []Algorithm{ES256, ES512, EdDSA, RS256, PS384} {
		t.Run(string(alg), func(t *testing.T) {
			kms := &vtKMS{inner: vtKey(t, alg, 0).signer}
			k, err := NewKey(kms, alg)
			require.NoError(t, err)
			require.True(t, k.CanSign())
			tp, err := jwkThumbprint(kms.Public())
			require.NoError(t, err)
			require.Equal(t, tp, k.ID())
			ks, err := NewKeySet(k)
			require.NoError(t, err)
			tok, err := vtIssuer(t, ks, clock.Now).Issue(t.Context(), Claims{Subject: "alice"})
			require.NoError(t, err)
			require.Equal(t, int64(1), kms.calls.Load())
			// Verified with the public key alone.
			c, err := vtVerifier(t, StaticKeys(k.Public()), clock.Now).Verify(t.Context(), tok.Raw)
			require.NoError(t, err)
			require.Equal(t, "alice", c.Subject)
		})
	}
}

func TestParseKey(t *testing.T) {
	ecPriv := vtKey(t, ES256, 0).signer.(*ecdsa.PrivateKey)
	rsaPriv := vtKey(t, RS256, 0).signer.(*rsa.PrivateKey)
	edPriv := vtKey(t, EdDSA, 0).signer.(ed25519.PrivateKey)
	p384 := vtKey(t, ES384, 0).signer.(*ecdsa.PrivateKey)
	pemOf := func(typ string, der []byte, err error) []byte {
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	}
	pkcs8 := func(k any) []byte { b, err := x509.MarshalPKCS8PrivateKey(k); return pemOf("PRIVATE KEY", b, err) }
	pkix := func(k any) []byte { b, err := x509.MarshalPKIXPublicKey(k); return pemOf("PUBLIC KEY", b, err) }
	ecX, ecY := vtXY(t, &ecPriv.PublicKey)
	sec1, err := x509.MarshalECPrivateKey(ecPriv)
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		data    []byte
		alg     Algorithm
		canSign bool
		kid     string // "" = thumbprint
	}{
		{"PKCS#8 EC", pkcs8(ecPriv), ES256, true, ""},
		{"PKCS#8 P-384", pkcs8(p384), ES384, true, ""},
		{"PKCS#8 RSA", pkcs8(rsaPriv), RS256, true, ""},
		{"PKCS#8 Ed25519", pkcs8(edPriv), EdDSA, true, ""},
		{"PKCS#1 RSA private", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaPriv), nil), RS256, true, ""},
		{"SEC1 EC private", pemOf("EC PRIVATE KEY", sec1, nil), ES256, true, ""},
		{"PKIX EC public", pkix(&ecPriv.PublicKey), ES256, false, ""},
		{"PKIX RSA public", pkix(&rsaPriv.PublicKey), RS256, false, ""},
		{"PKIX Ed25519 public", pkix(edPriv.Public()), EdDSA, false, ""},
		{"PKCS#1 RSA public", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaPriv.PublicKey), nil), RS256, false, ""},
		{"PEM with surrounding space", append(append([]byte("\n  "), pkix(&ecPriv.PublicKey)...), "\n\n"...), ES256, false, ""},
		{"JWK EC public with kid", []byte(`{"kty":"EC","crv":"P-256","kid":"mine","x":"` + ecX + `","y":"` + ecY + `"}`), ES256, false, "mine"},
		{"JWK RSA PS256", []byte(`{"kty":"RSA","alg":"PS256","kid":"r","n":"` + vtSeg(rsaPriv.N.Bytes()) + `","e":"AQAB"}`), PS256, false, "r"},
		{"JWK oct", []byte(`{"kty":"oct","kid":"h","k":"` + vtSeg(make([]byte, 32)) + `"}`), HS256, true, "h"},
		{"JWK oct HS512", []byte(`{"kty":"oct","alg":"HS512","k":"` + vtSeg(make([]byte, 64)) + `"}`), HS512, true, "-"},
		{"our own MarshalJSON", mustJSON(t, vtKey(t, ES256, 0)), ES256, false, vtKey(t, ES256, 0).ID()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.data)
			require.NoError(t, err)
			require.Equal(t, tc.alg, k.Algorithm())
			require.Equal(t, tc.canSign, k.CanSign())
			switch tc.kid {
			case "":
				if k.pub != nil {
					tp, err := jwkThumbprint(k.pub)
					require.NoError(t, err)
					require.Equal(t, tp, k.ID(), "PEM keys get the RFC 7638 thumbprint")
				}
			case "-":
				require.NotEmpty(t, k.ID())
			default:
				require.Equal(t, tc.kid, k.ID())
			}
		})
	}
	for name, data := range map[string][]byte{
		"empty":               nil,
		"garbage":             []byte("not a key"),
		"certificate block":   pemOf("CERTIFICATE", []byte{1, 2, 3}, nil),
		"broken PKCS#8":       pemOf("PRIVATE KEY", []byte{1, 2, 3}, nil),
		"JWK use enc":         []byte(`{"kty":"EC","crv":"P-256","use":"enc","x":"` + ecX + `","y":"` + ecY + `"}`),
		"JWK key_ops encrypt": []byte(`{"kty":"EC","crv":"P-256","key_ops":["encrypt"],"x":"` + ecX + `","y":"` + ecY + `"}`),
		"JWK broken JSON":     []byte(`{"kty":`),
		"JWK oct too short":   []byte(`{"kty":"oct","k":"` + vtSeg(make([]byte, 16)) + `"}`),
		"JWK EC with RS256":   []byte(`{"kty":"EC","crv":"P-256","alg":"RS256","x":"` + ecX + `","y":"` + ecY + `"}`),
		"PKCS#1 RSA 1024":     pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsa1024(t).PublicKey), nil),
		"P-224 key":           pkcs8(p224(t)),
	} {
		t.Run("refused/"+name, func(t *testing.T) {
			k, err := ParseKey(data)
			require.Error(t, err)
			require.True(t, vtIsAny(err, ErrInvalidKey, ErrAlgorithm), "%v", err)
			require.Nil(t, k)
		})
	}
}

var vtRSA1024 atomic.Pointer[rsa.PrivateKey]

func rsa1024(t testing.TB) *rsa.PrivateKey {
	if k := vtRSA1024.Load(); k != nil {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	vtRSA1024.Store(k)
	return k
}

// vtXY returns the base64url JWK coordinates of an EC public key.
func vtXY(t testing.TB, pub *ecdsa.PublicKey) (x, y string) {
	t.Helper()
	b, err := pub.Bytes() // 0x04 || X || Y
	require.NoError(t, err)
	n := (len(b) - 1) / 2
	return vtSeg(b[1 : 1+n]), vtSeg(b[1+n:])
}

func p224(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	return k
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestKeyMarshalJSONPublishesPublicHalfOnly(t *testing.T) {
	for _, alg := range []Algorithm{ES256, ES384, ES512, EdDSA, RS256, PS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := vtKey(t, alg, 0)
			var m map[string]any
			require.NoError(t, json.Unmarshal(mustJSON(t, k), &m))
			require.Equal(t, k.ID(), m["kid"])
			require.Equal(t, string(alg), m["alg"])
			require.Equal(t, "sig", m["use"])
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				require.NotContains(t, m, private)
			}
			// The published JWK reads back as the same public key.
			back, err := ParseKey(mustJSON(t, k))
			require.NoError(t, err)
			require.False(t, back.CanSign())
			require.True(t, back.verify([]byte("m"), mustSign(t, k, "m")))
			require.Equal(t, mustJSON(t, k), mustJSON(t, k.Public()))
		})
	}
}

func TestParseKeySet(t *testing.T) {
	ec, ed, rs := vtKey(t, ES256, 0), vtKey(t, EdDSA, 0), vtKey(t, PS256, 0)
	doc := func(keys ...any) []byte { return mustJSON(t, map[string]any{"keys": keys}) }
	keys, err := ParseKeySet(doc(ec, ed, rs))
	require.NoError(t, err)
	require.Len(t, keys, 3)
	for i, want := range []*Key{ec, ed, rs} {
		require.Equal(t, want.ID(), keys[i].ID())
		require.Equal(t, want.Algorithm(), keys[i].Algorithm())
		require.False(t, keys[i].CanSign())
		require.True(t, keys[i].verify([]byte("m"), mustSign(t, want, "m")))
	}
	// EC and OKP keys without alg get their curve's algorithm.
	var m map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, vtKey(t, ES384, 0)), &m))
	delete(m, "alg")
	delete(m, "use")
	keys, err = ParseKeySet(doc(m))
	require.NoError(t, err)
	require.Equal(t, ES384, keys[0].Algorithm())
	// Keys for other uses are skipped, not fatal.
	var enc map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, vtKey(t, ES256, 1)), &enc))
	enc["use"] = "enc"
	var ops map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, vtKey(t, ES256, 2)), &ops))
	delete(ops, "use")
	ops["key_ops"] = []string{"encrypt"}
	keys, err = ParseKeySet(doc(ec, enc, ops))
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, ec.ID(), keys[0].ID())
	// An empty set is a valid document.
	keys, err = ParseKeySet([]byte(`{"keys":[]}`))
	require.NoError(t, err)
	require.Empty(t, keys)

	for name, data := range map[string][]byte{
		"duplicate kid": doc(ec, ec),
		"not JSON":      []byte("nope"),
		"HS alg on RSA": []byte(`{"keys":[{"kty":"RSA","alg":"HS256","n":"` + vtSeg(rs.pub.(*rsa.PublicKey).N.Bytes()) + `","e":"AQAB"}]}`),
		"unknown alg":   []byte(`{"keys":[{"kty":"RSA","alg":"RS1","n":"` + vtSeg(rs.pub.(*rsa.PublicKey).N.Bytes()) + `","e":"AQAB"}]}`),
		// jwx concatenates repeated "keys" where encoding/json keeps
		// the last: parsers would disagree about which keys the set holds.
		"keys twice":            []byte(`{"keys":[` + string(mustJSON(t, ec)) + `],"keys":[` + string(mustJSON(t, ed)) + `]}`),
		"keys twice escaped":    []byte(`{"keys":[` + string(mustJSON(t, ec)) + `],"k\u0065ys":[` + string(mustJSON(t, ed)) + `]}`),
		"member twice in a key": []byte(`{"keys":[` + strings.Replace(string(mustJSON(t, ec)), `"kid":`, `"kid":"other","kid":`, 1) + `]}`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeySet(data)
			require.Error(t, err)
			require.True(t, vtIsAny(err, ErrInvalidKey, ErrAlgorithm), "%v", err)
		})
	}
}

// TestKeyPrintingHidesSecrets: a *Key that reaches a log line (fmt with any
// verb, slog's text and JSON handlers, a struct that holds it) shows its
// kid and algorithm, never an HMAC secret or private key bytes. fmt prints
// unexported fields by reflection, and an Ed25519 private key is a byte
// slice, so without a Format method both were printed in full.
func TestKeyPrintingHidesSecrets(t *testing.T) {
	secret := []byte("credence-review-hmac-secret-0123456789")
	hs, err := NewHMACKey(secret, HS256)
	require.NoError(t, err)
	ed := vtKey(t, EdDSA, 0)
	es := vtKey(t, ES256, 0)
	rs := vtKey(t, RS256, 0)
	esPriv, err := es.signer.(*ecdsa.PrivateKey).Bytes()
	require.NoError(t, err)
	secrets := map[string][]byte{
		"HS256": secret,
		"EdDSA": ed.signer.(ed25519.PrivateKey).Seed(),
		"ES256": esPriv,
		"RS256": rs.signer.(*rsa.PrivateKey).D.Bytes(),
	}
	// forms are how fmt and slog can spell a byte string.
	forms := func(b []byte) []string {
		head := b[:8]
		dec, q := fmt.Sprint(head), fmt.Sprintf("%q", head)
		return []string{
			dec[1 : len(dec)-1], hex.EncodeToString(head), strings.ToUpper(hex.EncodeToString(head)),
			base64.StdEncoding.EncodeToString(b)[:10], base64.RawURLEncoding.EncodeToString(b)[:10],
			string(head), q[1 : len(q)-1],
		}
	}
	for name, k := range map[string]*Key{"HS256": hs, "EdDSA": ed, "ES256": es, "RS256": rs} {
		t.Run(name, func(t *testing.T) {
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q"} {
				outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k),
					fmt.Sprintf(verb, struct{ K *Key }{k}), fmt.Sprintf(verb, []*Key{k}))
			}
			var text, js bytes.Buffer
			slog.New(slog.NewTextHandler(&text, nil)).Info("key", "k", k, "v", *k)
			slog.New(slog.NewJSONHandler(&js, nil)).Info("key", "k", k)
			outs = append(outs, text.String(), js.String(), fmt.Sprint(k))
			for _, out := range outs {
				for _, f := range forms(secrets[name]) {
					require.NotContains(t, out, f, "secret material printed: %s", out)
				}
			}
			require.Contains(t, fmt.Sprint(k), k.ID(), "the kid is what a log line needs")
			require.Contains(t, fmt.Sprint(k), string(k.Algorithm()))
		})
	}
	var nilKey *Key
	require.NotPanics(t, func() { _ = fmt.Sprint(nilKey) })
}
