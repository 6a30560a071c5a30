package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The attack catalogue of the research notes (A1–A22), as table-driven
// tests: each attack is tried and must be refused with its sentinel, with
// nil claims. A21 (JWKS endpoint abuse) belongs to the RemoteKeys tests.

// atkFix is a verifier that trusts an RS256, an ES256 and an EdDSA key (so
// a token must name its key by kid), and the attacker's own keys.
type atkFix struct {
	clock            *vtClock
	rsa, ec, ed      *Key
	attRSA, attEC    *Key
	ec384            *Key
	src              KeySource
	v                *Verifier
	claims           string // a valid claims object at the fixed clock
	good             string // a valid RS256 token
	goodEC, goodEdDS string
}

func newAtkFix(t testing.TB) *atkFix {
	t.Helper()
	f := &atkFix{clock: newVTClock(vtT0)}
	f.rsa, f.ec, f.ed = vtKey(t, RS256, 0), vtKey(t, ES256, 0), vtKey(t, EdDSA, 0)
	f.attRSA, f.attEC = vtKey(t, RS256, 1), vtKey(t, ES256, 1)
	f.ec384 = vtKey(t, ES384, 0)
	f.src = StaticKeys(f.rsa, f.ec, f.ed)
	f.v = vtVerifier(t, f.src, f.clock.Now)
	f.claims = vtClaims(vtT0, nil)
	f.good = vtSign(t, f.rsa, vtHeader(f.rsa), f.claims)
	f.goodEC = vtSign(t, f.ec, vtHeader(f.ec), f.claims)
	f.goodEdDS = vtSign(t, f.ed, vtHeader(f.ed), f.claims)
	return f
}

// hdr is a header for key k with extra members appended (raw JSON, with a
// leading comma).
func (f *atkFix) hdr(alg Algorithm, kid, extra string) string {
	h := `{"alg":"` + string(alg) + `","typ":"at+jwt"`
	if kid != "" {
		h += `,"kid":` + vtJSON(kid)
	}
	return h + extra + "}"
}

type atkCase struct {
	name string
	tok  string
	v    *Verifier // nil: the fixture's verifier
	want []error
}

func runAtk(t *testing.T, f *atkFix, cases []atkCase) {
	t.Helper()
	// The positive control: the fixture's verifier accepts its tokens.
	for _, tok := range []string{f.good, f.goodEC, f.goodEdDS} {
		c, err := f.v.Verify(context.Background(), tok)
		require.NoError(t, err)
		require.Equal(t, "alice", c.Subject)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if v == nil {
				v = f.v
			}
			c, err := v.Verify(context.Background(), tc.tok)
			requireRefused(t, c, err, tc.want...)
		})
	}
}

func atkSegs(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}

func TestAttackA01AlgNone(t *testing.T) {
	f := newAtkFix(t)
	_, _, goodSig := atkSegs(f.good)
	var cases []atkCase
	for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
		in := vtSeg([]byte(`{"alg":"`+alg+`","kid":"`+f.rsa.id+`","typ":"at+jwt"}`)) + "." + vtSeg([]byte(f.claims))
		cases = append(cases,
			atkCase{alg + "/empty signature", in + ".", nil, []error{ErrMalformed}},
			atkCase{alg + "/AAAA", in + ".AAAA", nil, []error{ErrAlgorithm}},
			atkCase{alg + "/copied signature", in + "." + goodSig, nil, []error{ErrAlgorithm}},
		)
	}
	// none is refused even by a verifier that lists every algorithm and
	// holds a single key (no kid needed).
	all := vtVerifier(t, StaticKeys(f.rsa), f.clock.Now, WithAlgorithms(allAlgs[:]...))
	in := vtSeg([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + vtSeg([]byte(f.claims))
	cases = append(cases, atkCase{"none/all algorithms allowed", in + ".AAAA", all, []error{ErrAlgorithm}})
	runAtk(t, f, cases)
}

func TestAttackA02HMACWithPublicKey(t *testing.T) {
	f := newAtkFix(t)
	pub := f.rsa.pub.(*rsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	pemLF := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
	jwkJSON, err := json.Marshal(f.rsa.Public())
	require.NoError(t, err)
	secrets := map[string][]byte{
		"spki pem with LF":    pemLF,
		"spki pem without LF": []byte(strings.TrimSuffix(string(pemLF), "\n")),
		"pkcs1 pem":           pkcs1,
		"spki der":            der,
		"jwk json":            jwkJSON,
		"modulus bytes":       pub.N.Bytes(),
	}
	// HS256 listed next to RS256: the kid still names an RS256 key.
	withHS := vtVerifier(t, f.src, f.clock.Now, WithAlgorithms(RS256, ES256, EdDSA, HS256))
	var cases []atkCase
	for name, secret := range secrets {
		for _, kid := range []string{f.rsa.id, ""} {
			tok := vtHMAC(secret, f.hdr(HS256, kid, ""), f.claims)
			cases = append(cases,
				atkCase{name + "/HS256 not allowed/kid " + kid, tok, nil, []error{ErrAlgorithm}},
			)
			if kid != "" {
				cases = append(cases, atkCase{name + "/HS256 allowed, kid bound to RS256", tok, withHS, []error{ErrAlgorithm}})
			}
		}
	}
	// A single-key verifier does not need a kid: the key is still RS256.
	single := vtVerifier(t, StaticKeys(f.rsa), f.clock.Now, WithAlgorithms(RS256, HS256))
	cases = append(cases, atkCase{"single RSA key, HS256 allowed, no kid", vtHMAC(der, f.hdr(HS256, "", ""), f.claims), single, []error{ErrAlgorithm}})
	runAtk(t, f, cases)
}

func TestAttackA03HeaderAlgNotKeyAlg(t *testing.T) {
	f := newAtkFix(t)
	// An RS256 signature under a header that says otherwise: the header
	// bytes are signed, so the attacker re-signs with the RSA private key
	// (the strongest form of the attack: the signature is genuine).
	resign := func(header string) string {
		in := vtSeg([]byte(header)) + "." + vtSeg([]byte(f.claims))
		sig, err := f.rsa.sign([]byte(in))
		require.NoError(t, err)
		return in + "." + vtSeg(sig)
	}
	p384Sig := func() string {
		in := vtSeg([]byte(f.hdr(ES256, f.ec.id, ""))) + "." + vtSeg([]byte(f.claims))
		sig, err := f.ec384.sign([]byte(in))
		require.NoError(t, err)
		return in + "." + vtSeg(sig)
	}()
	allowAll := vtVerifier(t, f.src, f.clock.Now, WithAlgorithms(allAlgs[:]...))
	runAtk(t, f, []atkCase{
		{"RS256 signature, header PS256", resign(f.hdr(PS256, f.rsa.id, "")), nil, []error{ErrAlgorithm}},
		{"RS256 signature, header RS384", resign(f.hdr(RS384, f.rsa.id, "")), nil, []error{ErrAlgorithm}},
		{"RS256 signature, header HS256", resign(f.hdr(HS256, f.rsa.id, "")), nil, []error{ErrAlgorithm}},
		{"RS256 signature, header PS256, all algs allowed", resign(f.hdr(PS256, f.rsa.id, "")), allowAll, []error{ErrAlgorithm}},
		{"RS256 signature, no alg", resign(`{"kid":"` + f.rsa.id + `","typ":"at+jwt"}`), nil, []error{ErrAlgorithm}},
		{"RS256 signature, alg null", resign(`{"alg":null,"kid":"` + f.rsa.id + `","typ":"at+jwt"}`), nil, []error{ErrMalformed}},
		{"RS256 signature, alg lower case", resign(`{"alg":"rs256","kid":"` + f.rsa.id + `","typ":"at+jwt"}`), nil, []error{ErrAlgorithm}},
		{"RS256 signature, header ES256 with the RSA kid", resign(f.hdr(ES256, f.rsa.id, "")), nil, []error{ErrAlgorithm}},
		{"ES256 header signed with a P-384 key", p384Sig, nil, []error{ErrSignature}},
	})
}

func TestAttackA04KidInjection(t *testing.T) {
	f := newAtkFix(t)
	big := vtVerifier(t, f.src, f.clock.Now, WithMaxTokenSize(1<<20))
	var cases []atkCase
	for _, kid := range []string{
		"../../../../dev/null", "/dev/null", "' OR 1=1 --", `"; DROP TABLE keys; --`,
		"kid\x00" + f.rsa.id, "ключ", f.rsa.id + " ", strings.ToLower(f.rsa.id),
	} {
		// Signed with the attacker's key, and with the trusted key: the
		// kid names no key either way.
		cases = append(cases,
			atkCase{"attacker/" + kid, vtSign(t, f.attRSA, f.hdr(RS256, kid, ""), f.claims), nil, []error{ErrUnknownKey}},
			atkCase{"trusted/" + kid, vtSign(t, f.rsa, f.hdr(RS256, kid, ""), f.claims), nil, []error{ErrUnknownKey}},
		)
	}
	long := strings.Repeat("k", 10<<10)
	cases = append(cases,
		atkCase{"10 KiB kid, default size limit", vtSign(t, f.rsa, f.hdr(RS256, long, ""), f.claims), nil, []error{ErrTooLarge}},
		atkCase{"10 KiB kid, 1 MiB limit", vtSign(t, f.rsa, f.hdr(RS256, long, ""), f.claims), big, []error{ErrUnknownKey}},
		atkCase{"empty kid, several keys", vtSign(t, f.rsa, `{"alg":"RS256","kid":"","typ":"at+jwt"}`, f.claims), nil, []error{ErrUnknownKey}},
		atkCase{"missing kid, several keys", vtSign(t, f.rsa, f.hdr(RS256, "", ""), f.claims), nil, []error{ErrUnknownKey}},
		atkCase{"kid not a string", vtSign(t, f.rsa, `{"alg":"RS256","kid":1,"typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
		atkCase{"kid escaped NUL", vtSign(t, f.rsa, `{"alg":"RS256","kid":"\u0000","typ":"at+jwt"}`, f.claims), nil, []error{ErrUnknownKey}},
	)
	runAtk(t, f, cases)
}

// TestAttackA05RemoteKeyURL: jku and x5u name an attacker's server that
// would serve a JWK Set holding the token's kid. Credence never fetches
// them: the token is refused and the server sees no request.
func TestAttackA05RemoteKeyURL(t *testing.T) {
	f := newAtkFix(t)
	var requests atomic.Int64
	attackerSet, err := json.Marshal(map[string]any{"keys": []*Key{f.attRSA.Public()}})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(attackerSet)
	}))
	defer srv.Close()
	ks, err := NewKeySet(vtKey(t, ES256, 2))
	require.NoError(t, err)
	ksv := vtVerifier(t, ks, f.clock.Now)

	var cases []atkCase
	for _, u := range []string{srv.URL + "/jwks.json", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/jwks"} {
		for _, member := range []string{"jku", "x5u"} {
			extra := `,"` + member + `":` + vtJSON(u)
			cases = append(cases,
				atkCase{member + " " + u + "/attacker kid", vtSign(t, f.attRSA, f.hdr(RS256, f.attRSA.id, extra), f.claims), nil, []error{ErrUnknownKey}},
				atkCase{member + " " + u + "/trusted kid", vtSign(t, f.attRSA, f.hdr(RS256, f.rsa.id, extra), f.claims), nil, []error{ErrSignature}},
				atkCase{member + " " + u + "/KeySet source", vtSign(t, f.attRSA, f.hdr(RS256, f.attRSA.id, extra), f.claims), ksv, []error{ErrUnknownKey}},
			)
		}
	}
	runAtk(t, f, cases)
	require.Zero(t, requests.Load(), "the verifier fetched a URL named by the token")
}

func TestAttackA06EmbeddedKey(t *testing.T) {
	f := newAtkFix(t)
	jwkRSA := vtJSON(f.attRSA.Public())
	jwkEC := vtJSON(f.attEC.Public())
	// A self-signed certificate for the attacker's key.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: vtT0.Add(-time.Hour), NotAfter: vtT0.Add(time.Hour),
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, f.attRSA.pub, f.attRSA.signer)
	require.NoError(t, err)
	x5c := `,"x5c":[` + vtJSON(base64.StdEncoding.EncodeToString(cert)) + `]`
	single := vtVerifier(t, StaticKeys(f.rsa), f.clock.Now)
	singleEC := vtVerifier(t, StaticKeys(f.ec), f.clock.Now)
	runAtk(t, f, []atkCase{
		{"jwk RSA, attacker kid", vtSign(t, f.attRSA, f.hdr(RS256, f.attRSA.id, `,"jwk":`+jwkRSA), f.claims), nil, []error{ErrUnknownKey}},
		{"jwk RSA, trusted kid", vtSign(t, f.attRSA, f.hdr(RS256, f.rsa.id, `,"jwk":`+jwkRSA), f.claims), nil, []error{ErrSignature}},
		{"jwk RSA, no kid, single key", vtSign(t, f.attRSA, f.hdr(RS256, "", `,"jwk":`+jwkRSA), f.claims), single, []error{ErrSignature}},
		{"jwk EC, no kid, single key", vtSign(t, f.attEC, f.hdr(ES256, "", `,"jwk":`+jwkEC), f.claims), singleEC, []error{ErrSignature}},
		{"x5c self-signed, trusted kid", vtSign(t, f.attRSA, f.hdr(RS256, f.rsa.id, x5c), f.claims), nil, []error{ErrSignature}},
		{"x5c self-signed, no kid, single key", vtSign(t, f.attRSA, f.hdr(RS256, "", x5c), f.claims), single, []error{ErrSignature}},
	})
}

func TestAttackA07PsychicSignature(t *testing.T) {
	f := newAtkFix(t)
	in := vtSeg([]byte(vtHeader(f.ec))) + "." + vtSeg([]byte(f.claims))
	n := elliptic.P256().Params().N
	rs := func(r, s *big.Int) string {
		b := make([]byte, 64)
		r.FillBytes(b[:32])
		s.FillBytes(b[32:])
		return in + "." + vtSeg(b)
	}
	_, _, goodSig := atkSegs(f.goodEC)
	raw, err := b64.DecodeString(goodSig)
	require.NoError(t, err)
	r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	der := p1363ToDER(nil, raw)
	one := big.NewInt(1)
	runAtk(t, f, []atkCase{
		{"64 zero bytes", in + "." + vtSeg(make([]byte, 64)), nil, []error{ErrSignature}},
		{"r = s = n", rs(n, n), nil, []error{ErrSignature}},
		{"r = 0, s = 1", rs(new(big.Int), one), nil, []error{ErrSignature}},
		{"r = 1, s = 0", rs(one, new(big.Int)), nil, []error{ErrSignature}},
		{"r = n + 1, s = 1", rs(new(big.Int).Add(n, one), one), nil, []error{ErrSignature}},
		{"r + n, s (same residue)", in + "." + vtSeg(append(new(big.Int).Add(r, n).Bytes(), s.Bytes()...)), nil, []error{ErrSignature}},
		{"DER-encoded valid signature", in + "." + vtSeg(der), nil, []error{ErrSignature}},
		{"63 bytes", in + "." + vtSeg(raw[:63]), nil, []error{ErrSignature}},
		{"65 bytes", in + "." + vtSeg(append(append([]byte{}, raw...), 0)), nil, []error{ErrSignature}},
		{"65 bytes, leading zero", in + "." + vtSeg(append([]byte{0}, raw...)), nil, []error{ErrSignature}},
		{"empty-ish (1 byte)", in + ".AA", nil, []error{ErrSignature}},
	})
	// (r, n-s) is the other valid ECDSA signature of the same message: JWS
	// does not require low-S (RFC 7515 A.3 is high-S), so it verifies. A
	// replay deny-list must therefore key on jti, never on the token text.
	c, err := f.v.Verify(context.Background(), rs(r, new(big.Int).Sub(n, s)))
	require.NoError(t, err)
	require.Equal(t, "alice", c.Subject)
}

func TestAttackA08InvalidCurve(t *testing.T) {
	f := newAtkFix(t)
	p256 := f.ec.pub.(*ecdsa.PublicKey)
	pt, err := p256.ECDH()
	require.NoError(t, err)
	pb := pt.Bytes() // 0x04 || X || Y
	x, y := pb[1:33], pb[33:]
	badY := append([]byte{}, y...)
	badY[31] ^= 1
	p384 := f.ec384.pub.(*ecdsa.PublicKey)
	p384pt, err := p384.ECDH()
	require.NoError(t, err)
	pb384 := p384pt.Bytes()
	jwk := func(crv string, x, y []byte) string {
		return `{"kty":"EC","crv":"` + crv + `","alg":"ES256","kid":"k","x":"` + vtSeg(x) + `","y":"` + vtSeg(y) + `"}`
	}
	for name, doc := range map[string]string{
		"point off P-256":                  jwk("P-256", x, badY),
		"coordinates of 33 bytes":          jwk("P-256", append([]byte{0}, x...), append([]byte{0}, y...)),
		"P-384 point labelled P-256":       jwk("P-256", pb384[1:49], pb384[49:]),
		"P-256 point labelled P-384":       `{"kty":"EC","crv":"P-384","alg":"ES384","kid":"k","x":"` + vtSeg(x) + `","y":"` + vtSeg(y) + `"}`,
		"the point at infinity (0,0)":      jwk("P-256", make([]byte, 32), make([]byte, 32)),
		"valid P-256 point with alg ES384": `{"kty":"EC","crv":"P-256","alg":"ES384","kid":"k","x":"` + vtSeg(x) + `","y":"` + vtSeg(y) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeySet([]byte(`{"keys":[` + doc + `]}`))
			require.Error(t, err, "refused at JWKS load")
			require.True(t, vtIsAny(err, ErrInvalidKey, ErrAlgorithm), "%v", err)
			_, err = ParseKey([]byte(doc))
			require.Error(t, err)
		})
	}
	// The same points given as Go keys are refused by NewKey.
	//lint:ignore SA1019 an off-curve key can only be built from raw coordinates
	off := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(badY)}
	_, err = NewKey(off, ES256)
	require.ErrorIs(t, err, ErrInvalidKey)
	_, err = NewKey(p384, ES256)
	require.ErrorIs(t, err, ErrInvalidKey)
	// And a valid key loaded from the same JWK verifies.
	k, err := ParseKey([]byte(jwk("P-256", x, y)))
	require.NoError(t, err)
	require.True(t, k.verify([]byte("m"), mustSign(t, f.ec, "m")))
}

func mustSign(t testing.TB, k *Key, msg string) []byte {
	t.Helper()
	sig, err := k.sign([]byte(msg))
	require.NoError(t, err)
	return sig
}

func vtIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func TestAttackA09SignatureStripping(t *testing.T) {
	f := newAtkFix(t)
	h, p, s := atkSegs(f.good)
	sig, err := b64.DecodeString(s)
	require.NoError(t, err)
	flipped := append([]byte{}, sig...)
	flipped[len(flipped)/2] ^= 0x01
	last := append([]byte{}, sig...)
	last[len(last)-1] ^= 0x80
	runAtk(t, f, []atkCase{
		{"h.p.", h + "." + p + ".", nil, []error{ErrMalformed}},
		{"h.p", h + "." + p, nil, []error{ErrMalformed}},
		{"h..s", h + ".." + s, nil, []error{ErrMalformed}},
		{".p.s", "." + p + "." + s, nil, []error{ErrMalformed}},
		{"h.p.s.", f.good + ".", nil, []error{ErrMalformed}},
		{"four segments", f.good + "." + s, nil, []error{ErrMalformed}},
		{"five segments", f.good + "." + p + "." + s, nil, []error{ErrMalformed}},
		{"empty", "", nil, []error{ErrMalformed}},
		{"dots only", "..", nil, []error{ErrMalformed}},
		{"one bit flipped", h + "." + p + "." + vtSeg(flipped), nil, []error{ErrSignature}},
		{"last byte flipped", h + "." + p + "." + vtSeg(last), nil, []error{ErrSignature}},
		{"truncated by one byte", h + "." + p + "." + vtSeg(sig[:len(sig)-1]), nil, []error{ErrSignature}},
		{"signature of another token", h + "." + vtSeg([]byte(vtClaims(vtT0, map[string]any{"sub": "admin"}))) + "." + s, nil, []error{ErrSignature}},
	})
}

func TestAttackA10JSONSerialization(t *testing.T) {
	f := newAtkFix(t)
	h, p, s := atkSegs(f.good)
	flattened := `{"payload":"` + p + `","protected":"` + h + `","signature":"` + s + `"}`
	general := `{"payload":"` + p + `","signatures":[{"protected":"` + h + `","signature":"` + s + `"}]}`
	injected := `{"payload":"` + p + `","protected":"` + h + `","signature":"` + s + `","sub":"admin","aud":"api","exp":9999999999}`
	runAtk(t, f, []atkCase{
		{"flattened", flattened, nil, []error{ErrMalformed}},
		{"general", general, nil, []error{ErrMalformed}},
		{"flattened with injected claims", injected, nil, []error{ErrMalformed}},
		{"leading white space", " \n" + flattened, nil, []error{ErrMalformed}},
		{"compact token as a JSON string", `"` + f.good + `"`, nil, []error{ErrMalformed}},
	})
}

func TestAttackA11WhitespacePaddingAlphabet(t *testing.T) {
	f := newAtkFix(t)
	h, p, s := atkSegs(f.good)
	std := base64.StdEncoding
	pad := base64.URLEncoding
	// A payload whose base64url form has '-' or '_' and a padded form.
	payload := vtClaims(vtT0, map[string]any{"x": "\xfb\xff\xfe?>"})
	pu := vtSeg([]byte(payload))
	require.True(t, strings.ContainsAny(pu, "-_"))
	stdTok := vtSignInput(t, f.rsa, h+"."+strings.TrimRight(std.EncodeToString([]byte(payload)), "="))
	// Non-canonical: set unused low bits in the last character of a
	// segment; the signature covers the altered text.
	nonCanon := func(seg string) string {
		require.NotZero(t, len(seg)%4, "need a segment with unused bits")
		c := b64dec[seg[len(seg)-1]] | 1
		return seg[:len(seg)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[c])
	}
	pp := p
	for len(pp)%4 == 0 {
		payload += " "
		pp = vtSeg([]byte(payload))
	}
	nonCanonTok := vtSignInput(t, f.rsa, h+"."+nonCanon(pp))
	hdrPadded := pad.EncodeToString([]byte(vtHeader(f.rsa) + " "))
	if !strings.HasSuffix(hdrPadded, "=") {
		hdrPadded = pad.EncodeToString([]byte(vtHeader(f.rsa) + "  "))
	}
	runAtk(t, f, []atkCase{
		{"leading space", " " + f.good, nil, []error{ErrMalformed}},
		{"trailing space", f.good + " ", nil, []error{ErrMalformed}},
		{"trailing newline", f.good + "\n", nil, []error{ErrMalformed}},
		{"trailing CRLF", f.good + "\r\n", nil, []error{ErrMalformed}},
		{"tab", "\t" + f.good, nil, []error{ErrMalformed}},
		{"space inside a segment", h[:5] + " " + h[5:] + "." + p + "." + s, nil, []error{ErrMalformed}},
		{"newline inside a segment", h + "." + p[:7] + "\n" + p[7:] + "." + s, nil, []error{ErrMalformed}},
		{"padded header (signed as padded)", vtSignInput(t, f.rsa, hdrPadded+"."+p), nil, []error{ErrMalformed}},
		{"padded signature", h + "." + p + "." + pad.EncodeToString(mustDecode(t, s)), nil, []error{ErrMalformed}},
		{"standard alphabet payload (signed as such)", stdTok, nil, []error{ErrMalformed}},
		{"non-canonical payload bits (signed as such)", nonCanonTok, nil, []error{ErrMalformed}},
		{"non-canonical signature bits", h + "." + p + "." + nonCanon(s), nil, []error{ErrMalformed, ErrSignature}},
		{"payload of length 1 mod 4 (signed as such)", vtSignInput(t, f.rsa, h+"."+oneMod4(p)), nil, []error{ErrMalformed}},
		{"NUL byte", f.good + "\x00", nil, []error{ErrMalformed}},
		{"non-ASCII", f.good + "é", nil, []error{ErrMalformed}},
	})
}

func oneMod4(seg string) string {
	for len(seg)%4 != 1 {
		seg += "A"
	}
	return seg
}

func mustDecode(t testing.TB, seg string) []byte {
	t.Helper()
	b, err := b64.DecodeString(seg)
	require.NoError(t, err)
	return b
}

func TestAttackA12B64AndCrit(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	unencoded := func(header, payload string) string {
		// RFC 7797: the signing input is header "." raw payload.
		in := vtSeg([]byte(header)) + "." + payload
		sig, err := k.sign([]byte(in))
		require.NoError(t, err)
		return in + "." + vtSeg(sig)
	}
	runAtk(t, f, []atkCase{
		{"b64 false with crit, raw payload", unencoded(f.hdr(RS256, k.id, `,"b64":false,"crit":["b64"]`), "payload-without-dots"), nil, []error{ErrMalformed}},
		{"b64 false with crit, encoded claims", vtSign(t, k, f.hdr(RS256, k.id, `,"b64":false,"crit":["b64"]`), f.claims), nil, []error{ErrMalformed}},
		{"b64 false without crit", vtSign(t, k, f.hdr(RS256, k.id, `,"b64":false`), f.claims), nil, []error{ErrMalformed}},
		{"b64 true", vtSign(t, k, f.hdr(RS256, k.id, `,"b64":true`), f.claims), nil, []error{ErrMalformed}},
		{"crit unknown", vtSign(t, k, f.hdr(RS256, k.id, `,"x":1,"crit":["x"]`), f.claims), nil, []error{ErrMalformed}},
		{"crit empty", vtSign(t, k, f.hdr(RS256, k.id, `,"crit":[]`), f.claims), nil, []error{ErrMalformed}},
		{"crit alg", vtSign(t, k, f.hdr(RS256, k.id, `,"crit":["alg"]`), f.claims), nil, []error{ErrMalformed}},
		{"crit absent parameter", vtSign(t, k, f.hdr(RS256, k.id, `,"crit":["exp"]`), f.claims), nil, []error{ErrMalformed}},
		{"crit not an array", vtSign(t, k, f.hdr(RS256, k.id, `,"crit":"x"`), f.claims), nil, []error{ErrMalformed}},
		{"crit first", vtSign(t, k, `{"crit":["x"],"x":1,"alg":"RS256","kid":"`+k.id+`","typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
		{"cty JWT (nested)", vtSign(t, k, f.hdr(RS256, k.id, `,"cty":"JWT"`), f.claims), nil, []error{ErrMalformed}},
	})
}

func TestAttackA13TypeConfusion(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	tok := func(typ string) string {
		return vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":`+vtJSON(typ)+`}`, f.claims)
	}
	idToken := vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":"JWT"}`, vtClaims(vtT0, map[string]any{"aud": "client-123", "nonce": "n"}))
	runAtk(t, f, []atkCase{
		{"ID token (typ JWT, aud client)", idToken, nil, []error{ErrType}},
		{"typ JWT", tok("JWT"), nil, []error{ErrType}},
		{"refresh token", tok("rt+jwt"), nil, []error{ErrType}},
		{"logout token", tok("logout+jwt"), nil, []error{ErrType}},
		{"typ missing", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`"}`, f.claims), nil, []error{ErrType}},
		{"typ empty", tok(""), nil, []error{ErrType}},
		{"typ application/", tok("application/"), nil, []error{ErrType}},
		{"typ xapplication/at+jwt", tok("xapplication/at+jwt"), nil, []error{ErrType}},
		{"typ at+jwt with a space", tok("at+jwt "), nil, []error{ErrType}},
		{"typ application/at+jwt; x", tok("application/at+jwt;x=1"), nil, []error{ErrType}},
		{"typ not a string", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":1}`, f.claims), nil, []error{ErrMalformed}},
	})
	// RFC 9068 §4 and RFC 7515 §4.1.9: these spellings are accepted.
	for _, typ := range []string{"at+jwt", "AT+JWT", "At+Jwt", "application/at+jwt", "APPLICATION/AT+JWT", "Application/at+JWT"} {
		c, err := f.v.Verify(context.Background(), tok(typ))
		require.NoError(t, err, typ)
		require.Equal(t, "alice", c.Subject)
	}
}

func TestAttackA14AudienceIssuer(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	with := func(set map[string]any) string { return vtSign(t, k, vtHeader(k), vtClaims(vtT0, set)) }
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	runAtk(t, f, []atkCase{
		{"aud of another service", with(map[string]any{"aud": "billing"}), nil, []error{ErrAudience}},
		{"aud missing", with(map[string]any{"aud": nil}), nil, []error{ErrAudience}},
		{"aud []", with(map[string]any{"aud": []string{}}), nil, []error{ErrAudience}},
		{"aud empty string", with(map[string]any{"aud": ""}), nil, []error{ErrAudience}},
		{"aud other case", with(map[string]any{"aud": "API"}), nil, []error{ErrAudience}},
		{"aud number", with(map[string]any{"aud": 1}), nil, []error{ErrMalformed}},
		{"aud mixed array", with(map[string]any{"aud": raw(`["api",1]`)}), nil, []error{ErrMalformed}},
		{"aud null", with(map[string]any{"aud": raw(`null`)}), nil, []error{ErrMalformed}},
		{"aud object", with(map[string]any{"aud": raw(`{"api":true}`)}), nil, []error{ErrMalformed}},
		{"iss trailing slash", with(map[string]any{"iss": vtIss + "/"}), nil, []error{ErrIssuer}},
		{"iss other case", with(map[string]any{"iss": strings.ToUpper(vtIss)}), nil, []error{ErrIssuer}},
		{"iss missing", with(map[string]any{"iss": nil}), nil, []error{ErrIssuer}},
		{"iss empty", with(map[string]any{"iss": ""}), nil, []error{ErrIssuer}},
		{"iss null", with(map[string]any{"iss": raw(`null`)}), nil, []error{ErrMalformed}},
		{"iss array", with(map[string]any{"iss": []string{vtIss}}), nil, []error{ErrMalformed}},
	})
	// aud as an array holding ours among others is accepted.
	c, err := f.v.Verify(context.Background(), with(map[string]any{"aud": []string{"billing", vtAud}}))
	require.NoError(t, err)
	require.Equal(t, []string{"billing", vtAud}, c.Audience)
}

func TestAttackA15TimeClaims(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	with := func(set map[string]any) string { return vtSign(t, k, vtHeader(k), vtClaims(vtT0, set)) }
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	now := vtT0.Unix()
	runAtk(t, f, []atkCase{
		{"exp missing", with(map[string]any{"exp": nil}), nil, []error{ErrMissingClaim}},
		{"exp 0", with(map[string]any{"exp": 0}), nil, []error{ErrExpired}},
		{"exp negative", with(map[string]any{"exp": -1}), nil, []error{ErrMalformed}},
		{"exp past by leeway + 1 s", with(map[string]any{"exp": now - 31}), nil, []error{ErrExpired}},
		{"exp past by exactly the leeway", with(map[string]any{"exp": now - 30}), nil, []error{ErrExpired}},
		{"exp numeric string", with(map[string]any{"exp": "1800000300"}), nil, []error{ErrMalformed}},
		{"exp RFC 3339 string", with(map[string]any{"exp": "2027-01-15T08:05:00Z"}), nil, []error{ErrMalformed}},
		{"exp 1.5e9", with(map[string]any{"exp": raw(`1.5e9`)}), nil, []error{ErrMalformed}},
		{"exp with fraction", with(map[string]any{"exp": raw(`1800000300.5`)}), nil, []error{ErrMalformed}},
		{"exp integral float", with(map[string]any{"exp": raw(`1800000300.0`)}), nil, []error{ErrMalformed}},
		{"exp 1e300", with(map[string]any{"exp": raw(`1e300`)}), nil, []error{ErrMalformed}},
		{"exp 2^63", with(map[string]any{"exp": raw(`9223372036854775808`)}), nil, []error{ErrMalformed}},
		{"exp 2^63-1", with(map[string]any{"exp": raw(`9223372036854775807`)}), nil, []error{ErrMalformed}},
		{"exp 20 digits", with(map[string]any{"exp": raw(`99999999999999999999`)}), nil, []error{ErrMalformed}},
		{"exp leading zero", with(map[string]any{"exp": raw(`01800000300`)}), nil, []error{ErrMalformed}},
		{"exp null", with(map[string]any{"exp": raw(`null`)}), nil, []error{ErrMalformed}},
		{"exp true", with(map[string]any{"exp": raw(`true`)}), nil, []error{ErrMalformed}},
		{"exp []", with(map[string]any{"exp": raw(`[]`)}), nil, []error{ErrMalformed}},
		{"exp {}", with(map[string]any{"exp": raw(`{}`)}), nil, []error{ErrMalformed}},
		{"nbf in the future beyond leeway", with(map[string]any{"nbf": now + 31}), nil, []error{ErrNotYetValid}},
		{"iat in the future beyond leeway", with(map[string]any{"iat": now + 31}), nil, []error{ErrNotYetValid}},
		{"nbf string", with(map[string]any{"nbf": "0"}), nil, []error{ErrMalformed}},
		{"iat float", with(map[string]any{"iat": raw(`1800000000.1`)}), nil, []error{ErrMalformed}},
		{"exp - iat over 15 minutes", with(map[string]any{"exp": now + 16*60}), nil, []error{ErrLifetime}},
		{"exp - iat a year", with(map[string]any{"exp": now + 365*86400}), nil, []error{ErrLifetime}},
		{"old iat, long life, still valid", with(map[string]any{"iat": now - 3600, "nbf": now - 3600, "exp": now + 60}), nil, []error{ErrLifetime}},
	})
	// The boundaries that must pass: exp within the leeway, nbf and iat
	// within the leeway, a 15-minute lifetime.
	for name, set := range map[string]map[string]any{
		"exp 29 s ago":          {"exp": now - 29},
		"nbf in 30 s":           {"nbf": now + 30},
		"iat in 30 s":           {"iat": now + 30},
		"lifetime of 15 min":    {"exp": now + 15*60},
		"no nbf":                {"nbf": nil},
		"exp at year 9999 - no": nil,
	} {
		if set == nil {
			continue
		}
		_, err := f.v.Verify(context.Background(), with(set))
		require.NoError(t, err, name)
	}
}

func TestAttackA16DuplicateMembers(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	now := vtT0.Unix()
	claims := func(extra string) string {
		c := vtClaims(vtT0, nil)
		return c[:len(c)-1] + extra + "}"
	}
	runAtk(t, f, []atkCase{
		{"exp past then future", vtSign(t, k, vtHeader(k), `{"iss":"`+vtIss+`","sub":"alice","aud":"api","iat":`+itoa(now)+`,"jti":"j","exp":`+itoa(now-3600)+`,"exp":`+itoa(now+60)+`}`), nil, []error{ErrMalformed}},
		{"sub twice", vtSign(t, k, vtHeader(k), claims(`,"sub":"admin"`)), nil, []error{ErrMalformed}},
		{"sub and escaped sub", vtSign(t, k, vtHeader(k), claims(`,"s\u0075b":"admin"`)), nil, []error{ErrMalformed}},
		{"escaped aud twice", vtSign(t, k, vtHeader(k), claims(`,"\u0061\u0075\u0064":"other"`)), nil, []error{ErrMalformed}},
		{"private claim twice", vtSign(t, k, vtHeader(k), claims(`,"role":"user","role":"admin"`)), nil, []error{ErrMalformed}},
		{"duplicate in a nested object", vtSign(t, k, vtHeader(k), claims(`,"x":{"a":1,"a":2}`)), nil, []error{ErrMalformed}},
		{"duplicate after 30 members", vtSign(t, k, vtHeader(k), claims(manyMembers(30)+`,"m0":0`)), nil, []error{ErrMalformed}},
		{"header alg twice", vtSign(t, k, `{"alg":"RS256","alg":"RS256","kid":"`+k.id+`","typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
		{"header kid twice", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","kid":"`+k.id+`","typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
		{"header typ twice", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":"JWT","typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
		{"header escaped kid twice", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","\u006bid":"x","typ":"at+jwt"}`, f.claims), nil, []error{ErrMalformed}},
	})
}

func itoa(v int64) string { return big.NewInt(v).String() }

func manyMembers(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`,"m` + itoa(int64(i)) + `":0`)
	}
	return b.String()
}

func TestAttackA17SizeAndDepth(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	h, p, s := atkSegs(f.good)
	pad := func(n int) string {
		// A syntactically plausible token of exactly n bytes.
		fill := n - len(h) - len(s) - 2
		return h + "." + strings.Repeat("A", fill) + "." + s
	}
	big := vtVerifier(t, f.src, f.clock.Now, WithMaxTokenSize(1<<20))
	deep := func(n int) string {
		return vtSign(t, k, vtHeader(k), vtClaims(vtT0, map[string]any{"x": json.RawMessage(strings.Repeat("[", n) + strings.Repeat("]", n))}))
	}
	deepObj := func(n int) string {
		return vtSign(t, k, vtHeader(k), vtClaims(vtT0, map[string]any{"x": json.RawMessage(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))}))
	}
	runAtk(t, f, []atkCase{
		{"8 KiB + 1", pad(8<<10 + 1), nil, []error{ErrTooLarge}},
		{"4 MiB", pad(4 << 20), nil, []error{ErrTooLarge}},
		{"4 MiB of dots", strings.Repeat(".", 4<<20), nil, []error{ErrTooLarge}},
		{"4 MiB of garbage", strings.Repeat("\x00", 4<<20), nil, []error{ErrTooLarge}},
		{"1 MiB string claim", vtSign(t, k, vtHeader(k), vtClaims(vtT0, map[string]any{"x": strings.Repeat("a", 1<<20)})), nil, []error{ErrTooLarge}},
		{"over the configured limit", pad(1<<20 + 1), big, []error{ErrTooLarge}},
		{"8 KiB header, bad signature", vtSeg([]byte(`{"alg":"RS256","x":"`+strings.Repeat("a", 8<<10)+`"}`)) + "." + p + "." + s, nil, []error{ErrTooLarge}},
		{"10001-deep array, 1 MiB limit", deep(10001), big, []error{ErrMalformed}},
		{"1000-deep array", deep(1000), nil, []error{ErrMalformed}},
		{"33-deep array", deep(33), nil, []error{ErrMalformed}},
		{"300-deep object", deepObj(300), nil, []error{ErrMalformed}},
		{"150 members", vtSign(t, k, vtHeader(k), vtClaims(vtT0, nil)[:len(f.claims)-1]+manyMembers(150)+"}"), nil, []error{ErrMalformed}},
		{"50k members, 1 MiB limit", vtSign(t, k, vtHeader(k), vtClaims(vtT0, nil)[:len(f.claims)-1]+manyMembers(50000)+"}"), big, []error{ErrMalformed}},
		{"deep header", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":"at+jwt","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`, f.claims), nil, []error{ErrMalformed}},
	})
	// Within the depth limit, nesting is fine.
	_, err := f.v.Verify(context.Background(), deep(20))
	require.NoError(t, err)
	// Exactly at the limit is read.
	exact := pad(8 << 10)
	_, err = f.v.Verify(context.Background(), exact)
	require.False(t, errors.Is(err, ErrTooLarge), "a token of exactly 8 KiB is read: %v", err)

	// The size check comes before any decoding: refusing 4 MiB costs no
	// more allocations than refusing 8 KiB + 1 (the error value only).
	huge := pad(4 << 20)
	allocs := testing.AllocsPerRun(20, func() {
		_, _ = f.v.Verify(context.Background(), huge)
	})
	require.LessOrEqual(t, allocs, 5.0, "allocations refusing a 4 MiB token")
}

func TestAttackA18MalformedJSON(t *testing.T) {
	f := newAtkFix(t)
	k := f.rsa
	sign := func(payload string) string { return vtSign(t, k, vtHeader(k), payload) }
	c := f.claims
	runAtk(t, f, []atkCase{
		{"payload [1,2]", sign(`[1,2]`), nil, []error{ErrMalformed}},
		{"payload string", sign(`"str"`), nil, []error{ErrMalformed}},
		{"payload null", sign(`null`), nil, []error{ErrMalformed}},
		{"payload number", sign(`1`), nil, []error{ErrMalformed}},
		{"payload not JSON", sign(`hello`), nil, []error{ErrMalformed}},
		{"payload invalid UTF-8 in a value", sign(c[:len(c)-1] + `,"x":"` + "\xff\xfe" + `"}`), nil, []error{ErrMalformed}},
		{"payload invalid UTF-8 in a name", sign(c[:len(c)-1] + `,"` + "\xc3\x28" + `":1}`), nil, []error{ErrMalformed}},
		{"payload lone surrogate", sign(c[:len(c)-1] + `,"x":"\ud800"}`), nil, []error{ErrMalformed}},
		{"payload UTF-8 BOM", sign("\xef\xbb\xbf" + c), nil, []error{ErrMalformed}},
		{"payload UTF-16", sign("\xff\xfe{\x00}\x00"), nil, []error{ErrMalformed}},
		{"payload trailing garbage", sign(c + "xx"), nil, []error{ErrMalformed}},
		{"payload two objects", sign(c + c), nil, []error{ErrMalformed}},
		{"payload trailing comma", sign(c[:len(c)-1] + `,}`), nil, []error{ErrMalformed}},
		{"payload control character", sign(c[:len(c)-1] + `,"x":"a` + "\x01" + `"}`), nil, []error{ErrMalformed}},
		{"payload single quotes", sign(`{'iss':'x'}`), nil, []error{ErrMalformed}},
		{"payload bad escape", sign(c[:len(c)-1] + `,"x":"\q"}`), nil, []error{ErrMalformed}},
		{"payload NaN", sign(c[:len(c)-1] + `,"x":NaN}`), nil, []error{ErrMalformed}},
		{"payload truncated", sign(c[:len(c)-3]), nil, []error{ErrMalformed}},
		{"header not an object", vtSign(t, k, `["RS256"]`, c), nil, []error{ErrMalformed}},
		{"header trailing garbage", vtSign(t, k, vtHeader(k)+"x", c), nil, []error{ErrMalformed}},
		{"header invalid UTF-8", vtSign(t, k, `{"alg":"RS256","kid":"`+k.id+`","typ":"at+jwt","x":"`+"\xff"+`"}`, c), nil, []error{ErrMalformed}},
	})
	// White space around and inside JSON is JSON, and accepted.
	_, err := f.v.Verify(context.Background(), vtSign(t, k, " { \"alg\" : \"RS256\" ,\r\n\"kid\":\""+k.id+"\",\t\"typ\":\"at+jwt\" } ", " "+c+"\n"))
	require.NoError(t, err)
}

func TestAttackA19ClaimNameInjection(t *testing.T) {
	clock := newVTClock(vtT0)
	ks, err := NewKeySet(vtKey(t, ES256, 0))
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	v := vtVerifier(t, ks, clock.Now)
	for _, name := range []string{`x":0,"admin`, `x":true,"admin":true,"y`, "x\x00admin", `x\":0,\"admin`, "x\u2028admin", "\"admin"} {
		t.Run(name, func(t *testing.T) {
			tok, err := is.Issue(context.Background(), Claims{Subject: "alice", Extra: map[string]any{name: 0}})
			if err != nil {
				// Refusing the name is also a safe answer.
				require.ErrorIs(t, err, ErrInvalidOption)
				return
			}
			c, err := v.Verify(context.Background(), tok.Raw)
			require.NoError(t, err)
			require.NotContains(t, c.Extra, "admin")
			require.Contains(t, c.Extra, name, "the name round-trips unchanged")
			require.Len(t, c.Extra, 1)
		})
	}
	// Values are JSON-encoded, never spliced.
	tok, err := is.Issue(context.Background(), Claims{Subject: `alice","admin":true,"x":"`, Scope: `read"}`, Extra: map[string]any{"note": `"}`}})
	require.NoError(t, err)
	c, err := v.Verify(context.Background(), tok.Raw)
	require.NoError(t, err)
	require.Equal(t, `alice","admin":true,"x":"`, c.Subject)
	require.NotContains(t, c.Extra, "admin")
}

func TestAttackA20WeakKeys(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	strong := vtKey(t, RS256, 0).signer.(*rsa.PrivateKey)
	e3 := strong.PublicKey
	e3.E = 3
	e1 := strong.PublicKey
	e1.E = 1
	eEven := strong.PublicKey
	eEven.E = 65538
	for name, fn := range map[string]func() error{
		"RSA 1024 private": func() error { _, err := NewKey(rsa1024, RS256); return err },
		"RSA 1024 public":  func() error { _, err := NewKey(&rsa1024.PublicKey, PS256); return err },
		"RSA e = 3":        func() error { _, err := NewKey(&e3, RS256); return err },
		"RSA e = 1":        func() error { _, err := NewKey(&e1, RS256); return err },
		"RSA even e":       func() error { _, err := NewKey(&eEven, RS256); return err },
		"HS256 31 bytes":   func() error { _, err := NewHMACKey(make([]byte, 31), HS256); return err },
		"HS256 empty":      func() error { _, err := NewHMACKey(nil, HS256); return err },
		"HS384 47 bytes":   func() error { _, err := NewHMACKey(make([]byte, 47), HS384); return err },
		"HS512 63 bytes":   func() error { _, err := NewHMACKey(make([]byte, 63), HS512); return err },
		"oct JWK of 6 bytes": func() error {
			_, err := ParseKey([]byte(`{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}`))
			return err
		},
		"JWKS with an oct key": func() error {
			_, err := ParseKeySet([]byte(`{"keys":[{"kty":"oct","k":"` + vtSeg(make([]byte, 32)) + `","alg":"HS256","kid":"h"}]}`))
			return err
		},
		"JWKS RSA key without alg": func() error {
			j := vtJSON(vtKey(t, RS256, 0).Public())
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(j), &m))
			delete(m, "alg")
			_, err := ParseKeySet([]byte(`{"keys":[` + vtJSON(m) + `]}`))
			return err
		},
		"JWKS RSA 1024": func() error {
			_, err := ParseKeySet([]byte(`{"keys":[{"kty":"RSA","alg":"RS256","kid":"w","n":"` + vtSeg(rsa1024.N.Bytes()) + `","e":"AQAB"}]}`))
			return err
		},
		"JWKS with a private key": func() error {
			k := vtKey(t, ES256, 0).signer.(*ecdsa.PrivateKey)
			x, y := vtXY(t, &k.PublicKey)
			d, err := k.Bytes()
			require.NoError(t, err)
			j := `{"kty":"EC","crv":"P-256","alg":"ES256","kid":"p","x":"` + x + `","y":"` + y + `","d":"` + vtSeg(d) + `"}`
			_, err = ParseKeySet([]byte(`{"keys":[` + j + `]}`))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, fn(), ErrInvalidKey)
		})
	}
}

func TestAttackA22Replay(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	ks, err := NewKeySet(k)
	require.NoError(t, err)
	rec := &vtRecorder{}
	v := vtVerifier(t, ks, clock.Now, WithRevocation(rec))
	is := vtIssuer(t, ks, clock.Now)
	tok, err := is.Issue(context.Background(), Claims{Subject: "alice"})
	require.NoError(t, err)
	c, err := v.Verify(context.Background(), tok.Raw)
	require.NoError(t, err)
	require.Equal(t, tok.Claims.ID, c.ID)
	c, err = v.Verify(context.Background(), tok.Raw)
	requireRefused(t, c, err, ErrRevoked)

	// The same jti spelled differently in JSON is the same jti: a deny-list
	// keyed by the decoded jti catches it (and one keyed by the token
	// string would not).
	jti := "replay-1"
	first := vtSign(t, k, vtHeader(k), vtClaims(vtT0, map[string]any{"jti": jti}))
	c2 := vtClaims(vtT0, map[string]any{"jti": nil})
	escaped := vtSign(t, k, vtHeader(k), c2[:len(c2)-1]+`,"jti":"\u0072eplay-1"}`)
	require.NotEqual(t, first, escaped)
	_, err = v.Verify(context.Background(), first)
	require.NoError(t, err)
	c, err = v.Verify(context.Background(), escaped)
	requireRefused(t, c, err, ErrRevoked)

	// A re-encoded token (non-canonical base64) never reaches the checker.
	calls := rec.calls
	h, p, s := atkSegs(first)
	c, err = v.Verify(context.Background(), h+"."+p+"."+s+"=")
	requireRefused(t, c, err, ErrMalformed)
	require.Equal(t, calls, rec.calls)
}
