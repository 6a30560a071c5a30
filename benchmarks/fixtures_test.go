package benchmarks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gjwt "github.com/golang-jwt/jwt/v5"

	"github.com/credence-go/credence/jwt"
)

// Every library runs against the same fixed clock, so that no benchmark
// pays for time.Now and no token expires during a long run.
var (
	now = time.Unix(1_800_000_000, 0).UTC()
	ctx = context.Background()
)

const (
	issuer   = "https://issuer.example"
	audience = "https://api.example"
	leeway   = 30 * time.Second // Credence's default, given to the peers too
)

func clock() time.Time { return now }

// fixture is everything the tests and benchmarks need for one algorithm:
// the raw key pair, the Credence key set, issuer and verifiers, a token
// issued by Credence, its JWK Set document, and the peers' view of it.
type fixture struct {
	alg  jwt.Algorithm
	priv crypto.Signer
	pub  crypto.PublicKey
	key  *jwt.Key // the private Credence key; key.ID() is its thumbprint
	ks   *jwt.KeySet

	issuer   *jwt.Issuer
	verifier *jwt.Verifier // full validation, no cache
	cached   *jwt.Verifier // WithCache

	token jwt.Token // issued by Credence at now
	msg   []byte    // signing input of token: header.payload
	sig   []byte    // token's signature, decoded
	der   []byte    // ES*: the same signature in ASN.1, as crypto/ecdsa wants it

	jwks    []byte             // the JWK Set document served by jwt.JWKSHandler
	joseSet jose.JSONWebKeySet // jwks as go-jose reads it
	peerPub map[string]any     // kid -> raw public key taken from the go-jose JWK
	gParser *gjwt.Parser       // golang-jwt with full validation
	gKey    gjwt.Keyfunc       // kid lookup in peerPub, typ check
	jAlgs   []jose.SignatureAlgorithm
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[jwt.Algorithm]*fixture{}
)

// getFixture builds the fixture for alg once per process (RSA key
// generation is slow) and shares it between tests and benchmarks.
func getFixture(tb testing.TB, alg jwt.Algorithm) *fixture {
	tb.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[alg]; ok {
		return f
	}
	f, err := newFixture(alg)
	if err != nil {
		tb.Fatalf("fixture %s: %v", alg, err)
	}
	fixtures[alg] = f
	return f
}

func generateRaw(alg jwt.Algorithm) (crypto.Signer, error) {
	switch alg {
	case jwt.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwt.ES384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jwt.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case jwt.RS256, jwt.PS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("no raw key for %s", alg)
}

func newFixture(alg jwt.Algorithm) (*fixture, error) {
	priv, err := generateRaw(alg)
	if err != nil {
		return nil, err
	}
	key, err := jwt.NewKey(priv, alg)
	if err != nil {
		return nil, err
	}
	ks, err := jwt.NewKeySet(key)
	if err != nil {
		return nil, err
	}
	f := &fixture{alg: alg, priv: priv, pub: priv.Public(), key: key, ks: ks, jAlgs: []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}}
	if f.issuer, err = jwt.NewIssuer(ks, jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithClock(clock)); err != nil {
		return nil, err
	}
	if f.verifier, err = jwt.NewVerifier(ks, jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithClock(clock)); err != nil {
		return nil, err
	}
	if f.cached, err = jwt.NewVerifier(ks, jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithClock(clock), jwt.WithCache(1024)); err != nil {
		return nil, err
	}
	tok, err := f.issuer.Issue(ctx, jwt.Claims{Subject: "user-1234", Scope: "read write"})
	if err != nil {
		return nil, err
	}
	f.token = *tok
	dot := strings.LastIndexByte(tok.Raw, '.')
	f.msg = []byte(tok.Raw[:dot])
	if f.sig, err = base64.RawURLEncoding.Strict().DecodeString(tok.Raw[dot+1:]); err != nil {
		return nil, err
	}
	if _, ok := priv.(*ecdsa.PrivateKey); ok {
		f.der = p1363ToASN1(f.sig)
	}

	if f.jwks, err = fetchJWKS(ks); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(f.jwks, &f.joseSet); err != nil {
		return nil, fmt.Errorf("go-jose reads the JWK Set: %w", err)
	}
	f.peerPub = map[string]any{}
	for _, k := range f.joseSet.Keys {
		f.peerPub[k.KeyID] = k.Key
	}
	f.gParser = gjwt.NewParser(
		gjwt.WithValidMethods([]string{string(alg)}),
		gjwt.WithIssuer(issuer),
		gjwt.WithAudience(audience),
		gjwt.WithExpirationRequired(),
		gjwt.WithIssuedAt(),
		gjwt.WithLeeway(leeway),
		gjwt.WithTimeFunc(clock),
	)
	f.gKey = func(t *gjwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") {
			return nil, fmt.Errorf("typ %q", typ)
		}
		kid, _ := t.Header["kid"].(string)
		if k, ok := f.peerPub[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return f, nil
}

// fetchJWKS gets the document a verifying service would download.
func fetchJWKS(ks *jwt.KeySet) ([]byte, error) {
	rec := httptest.NewRecorder()
	jwt.JWKSHandler(ks).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("JWKSHandler: status %d", rec.Code)
	}
	return rec.Body.Bytes(), nil
}

// p1363ToASN1 turns JWS's r‖s into the DER form crypto/ecdsa verifies.
func p1363ToASN1(sig []byte) []byte {
	half := len(sig) / 2
	r := new(big.Int).SetBytes(sig[:half])
	s := new(big.Int).SetBytes(sig[half:])
	derInt := func(v *big.Int) []byte {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(derInt(r), derInt(s)...)
	out := []byte{0x30}
	if len(body) >= 0x80 {
		out = append(out, 0x81)
	}
	return append(append(out, byte(len(body))), body...)
}

// gClaims is what golang-jwt decodes the token into. Validate adds the
// claims Credence requires by default (sub, iat, jti), so that both do the
// same work.
type gClaims struct {
	gjwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

func (c *gClaims) Validate() error {
	if c.Subject == "" || c.ID == "" || c.IssuedAt == nil {
		return errors.New("sub, iat and jti are required")
	}
	return nil
}

// gVerify is golang-jwt's full validation of raw.
func (f *fixture) gVerify(raw string) (*gClaims, error) {
	var c gClaims
	if _, err := f.gParser.ParseWithClaims(raw, &c, f.gKey); err != nil {
		return nil, err
	}
	return &c, nil
}

// jClaims is what go-jose decodes the token into.
type jClaims struct {
	josejwt.Claims
	Scope string `json:"scope,omitempty"`
}

// joseVerify is go-jose's full validation of raw: alg allow-list, typ, kid
// lookup in the JWK Set, signature, claims, then the same required claims
// and leeway as Credence.
func (f *fixture) joseVerify(raw string) (*jClaims, error) {
	tok, err := josejwt.ParseSigned(raw, f.jAlgs)
	if err != nil {
		return nil, err
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") {
		return nil, fmt.Errorf("typ %q", typ)
	}
	k, ok := f.peerPub[h.KeyID]
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", h.KeyID)
	}
	var c jClaims
	if err := tok.Claims(k, &c); err != nil {
		return nil, err
	}
	if c.Expiry == nil || c.IssuedAt == nil || c.Subject == "" || c.ID == "" {
		return nil, errors.New("exp, sub, iat and jti are required")
	}
	if err := c.ValidateWithLeeway(josejwt.Expected{Issuer: issuer, AnyAudience: josejwt.Audience{audience}, Time: now}, leeway); err != nil {
		return nil, err
	}
	return &c, nil
}

// peerClaims are the claims the peers sign in the other direction.
func peerClaims(kid string) (iss, sub, jti string, aud []string) {
	return issuer, "peer-user-" + kid[:6], "jti-" + kid[:10], []string{audience}
}

// signGolangJWT signs a token with golang-jwt, the way a service using it
// would mint an access token for a Credence verifier.
func (f *fixture) signGolangJWT() (string, error) {
	iss, sub, jti, aud := peerClaims(f.key.ID())
	t := gjwt.NewWithClaims(gjwt.GetSigningMethod(string(f.alg)), gClaims{
		RegisteredClaims: gjwt.RegisteredClaims{
			Issuer: iss, Subject: sub, Audience: aud, ID: jti,
			IssuedAt:  gjwt.NewNumericDate(now),
			NotBefore: gjwt.NewNumericDate(now),
			ExpiresAt: gjwt.NewNumericDate(now.Add(5 * time.Minute)),
		},
		Scope: "read",
	})
	t.Header["kid"] = f.key.ID()
	t.Header["typ"] = "at+jwt"
	return t.SignedString(f.priv)
}

// signGoJose signs the same claims with go-jose.
func (f *fixture) signGoJose() (string, error) {
	iss, sub, jti, aud := peerClaims(f.key.ID())
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(f.alg), Key: jose.JSONWebKey{Key: f.priv, KeyID: f.key.ID()}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return "", err
	}
	return josejwt.Signed(s).Claims(jClaims{
		Claims: josejwt.Claims{
			Issuer: iss, Subject: sub, Audience: aud, ID: jti,
			IssuedAt:  josejwt.NewNumericDate(now),
			NotBefore: josejwt.NewNumericDate(now),
			Expiry:    josejwt.NewNumericDate(now.Add(5 * time.Minute)),
		},
		Scope: "read",
	}).Serialize()
}
