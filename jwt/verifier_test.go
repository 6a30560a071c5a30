package jwt

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the internal tests. Names carry a vt prefix so they do
// not collide with helpers other test files of the package may declare.

const (
	vtIss = "https://issuer.test"
	vtAud = "api"
)

// vtT0 is the fixed "now" of most tests.
var vtT0 = time.Unix(1_800_000_000, 0).UTC()

// vtClock is a settable clock, safe for concurrent use.
type vtClock struct {
	mu sync.Mutex
	t  time.Time
}

func newVTClock(t time.Time) *vtClock { return &vtClock{t: t} }

func (c *vtClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *vtClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// RSA key generation is slow; tests share generated keys by (alg, n).
var vtKeys sync.Map

type vtKeyID struct {
	alg Algorithm
	n   int
}

// vtKey returns the n-th shared generated key for alg, with kid "<alg>-<n>".
func vtKey(t testing.TB, alg Algorithm, n int) *Key {
	t.Helper()
	id := vtKeyID{alg, n}
	if k, ok := vtKeys.Load(id); ok {
		return k.(*Key)
	}
	k, err := GenerateKey(alg)
	require.NoError(t, err)
	k = k.WithID(string(alg) + "-" + string(rune('0'+n)))
	k2, _ := vtKeys.LoadOrStore(id, k)
	return k2.(*Key)
}

// vtSentinels are every sentinel a refused token may wrap.
var vtSentinels = []error{
	ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrType,
	ErrExpired, ErrNotYetValid, ErrIssuer, ErrAudience, ErrMissingClaim, ErrRevoked,
	ErrLifetime, ErrKeySource,
}

// vtSentinel names the sentinels err wraps, for failure messages.
func vtSentinel(err error) string {
	if err == nil {
		return "<accepted>"
	}
	s := ""
	for _, e := range vtSentinels {
		if errors.Is(err, e) {
			if s != "" {
				s += "+"
			}
			s += e.Error()
		}
	}
	if s == "" {
		return "<no sentinel: " + err.Error() + ">"
	}
	return s
}

// requireRefused asserts that a verification was refused with nil claims
// and an error wrapping one of want (and exactly one sentinel).
func requireRefused(t testing.TB, c *Claims, err error, want ...error) {
	t.Helper()
	require.Error(t, err, "token accepted")
	require.Nil(t, c, "a refused token returned claims")
	n := 0
	for _, e := range vtSentinels {
		if errors.Is(err, e) {
			n++
		}
	}
	// ErrRevoked may also wrap the checker's own error, which is not ours.
	require.Equal(t, 1, n, "error %q wraps %d sentinels: %s", err, n, vtSentinel(err))
	for _, w := range want {
		if errors.Is(err, w) {
			return
		}
	}
	require.Failf(t, "wrong sentinel", "got %q (%s), want one of %v", err, vtSentinel(err), want)
}

// vtSeg is raw base64url.
func vtSeg(b []byte) string { return b64.EncodeToString(b) }

// vtSign builds header.payload.signature from raw JSON texts, signed by k.
func vtSign(t testing.TB, k *Key, header, payload string) string {
	t.Helper()
	in := vtSeg([]byte(header)) + "." + vtSeg([]byte(payload))
	return vtSignInput(t, k, in)
}

// vtSignInput signs an already encoded signing input.
func vtSignInput(t testing.TB, k *Key, in string) string {
	t.Helper()
	sig, err := k.sign([]byte(in))
	require.NoError(t, err)
	return in + "." + vtSeg(sig)
}

// vtHMAC signs header.payload with an arbitrary HMAC-SHA256 secret, as an
// attacker who knows some bytes would.
func vtHMAC(secret []byte, header, payload string) string {
	in := vtSeg([]byte(header)) + "." + vtSeg([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + vtSeg(m.Sum(nil))
}

// vtHeader is the header the issuer writes for k.
func vtHeader(k *Key) string {
	return `{"alg":"` + string(k.alg) + `","kid":` + vtJSON(k.id) + `,"typ":"at+jwt"}`
}

func vtJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// vtClaims returns a valid claims object at now, with members replaced or
// added from set (a nil value deletes the member). Member order is fixed.
func vtClaims(now time.Time, set map[string]any) string {
	base := []struct {
		k string
		v any
	}{
		{"iss", vtIss}, {"sub", "alice"}, {"aud", vtAud},
		{"exp", now.Add(5 * time.Minute).Unix()}, {"nbf", now.Unix()}, {"iat", now.Unix()},
		{"jti", "jti-1"},
	}
	out := "{"
	add := func(k string, v any) {
		if len(out) > 1 {
			out += ","
		}
		out += vtJSON(k) + ":"
		if raw, ok := v.(json.RawMessage); ok {
			out += string(raw)
		} else {
			out += vtJSON(v)
		}
	}
	done := map[string]bool{}
	for _, m := range base {
		v := m.v
		if nv, ok := set[m.k]; ok {
			done[m.k] = true
			if nv == nil {
				continue
			}
			v = nv
		}
		add(m.k, v)
	}
	for k, v := range set {
		if !done[k] && v != nil {
			add(k, v)
		}
	}
	return out + "}"
}

// vtVerifier builds a verifier over src with the test issuer, audience and
// clock, plus opts.
func vtVerifier(t testing.TB, src KeySource, clock func() time.Time, opts ...Option) *Verifier {
	t.Helper()
	v, err := NewVerifier(src, append([]Option{WithIssuer(vtIss), WithAudience(vtAud), WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	return v
}

// vtIssuer builds an issuer over ks with the test issuer, audience and clock.
func vtIssuer(t testing.TB, ks *KeySet, clock func() time.Time, opts ...Option) *Issuer {
	t.Helper()
	is, err := NewIssuer(ks, append([]Option{WithIssuer(vtIss), WithAudience(vtAud), WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	return is
}

// vtRecorder is a RevocationChecker that refuses every jti it has seen
// before: a replay (jti deny-list) check.
type vtRecorder struct {
	mu    sync.Mutex
	seen  map[string]bool
	calls int
	err   error
}

func (r *vtRecorder) IsRevoked(_ context.Context, c *Claims) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return false, r.err
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[c.ID] {
		return true, nil
	}
	r.seen[c.ID] = true
	return false, nil
}

var _ RevocationChecker = (*vtRecorder)(nil)

func TestNewVerifierRefusesIncompleteConfig(t *testing.T) {
	src := StaticKeys(vtKey(t, ES256, 0))
	for name, opts := range map[string][]Option{
		"no issuer":                     {WithAudience(vtAud)},
		"no audience decision":          {WithIssuer(vtIss)},
		"both audience and AnyAudience": {WithIssuer(vtIss), WithAudience(vtAud), AnyAudience()},
		"empty issuer":                  {WithIssuer(""), AnyAudience()},
		"empty audience list":           {WithIssuer(vtIss), WithAudience()},
		"empty audience":                {WithIssuer(vtIss), WithAudience("")},
		"issuer-only WithTTL":           {WithIssuer(vtIss), AnyAudience(), WithTTL(time.Minute)},
		"nil option":                    {WithIssuer(vtIss), AnyAudience(), nil},
		"nil clock":                     {WithIssuer(vtIss), AnyAudience(), WithClock(nil)},
		"empty algorithm list":          {WithIssuer(vtIss), AnyAudience(), WithAlgorithms()},
		"algorithm none":                {WithIssuer(vtIss), AnyAudience(), WithAlgorithms("none")},
		"unknown algorithm":             {WithIssuer(vtIss), AnyAudience(), WithAlgorithms("ES256K")},
		"negative leeway":               {WithIssuer(vtIss), AnyAudience(), WithLeeway(-time.Second)},
		"leeway over 5 minutes":         {WithIssuer(vtIss), AnyAudience(), WithLeeway(6 * time.Minute)},
		"max token size too small":      {WithIssuer(vtIss), AnyAudience(), WithMaxTokenSize(10)},
		"max token size over 1 MiB":     {WithIssuer(vtIss), AnyAudience(), WithMaxTokenSize(2 << 20)},
		"negative cache":                {WithIssuer(vtIss), AnyAudience(), WithCache(-1)},
		"nil revocation checker":        {WithIssuer(vtIss), AnyAudience(), WithRevocation(nil)},
		"empty required claim name":     {WithIssuer(vtIss), AnyAudience(), WithRequiredClaims("")},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := NewVerifier(src, opts...)
			require.ErrorIs(t, err, ErrInvalidOption)
			require.Nil(t, v)
		})
	}
	_, err := NewVerifier(nil, WithIssuer(vtIss), AnyAudience())
	require.ErrorIs(t, err, ErrInvalidOption)
	_, err = NewVerifier(StaticKeys(nil), WithIssuer(vtIss), AnyAudience())
	require.ErrorIs(t, err, ErrInvalidKey)
	_, err = NewVerifier(StaticKeys(vtKey(t, ES256, 0), vtKey(t, ES256, 0)), WithIssuer(vtIss), AnyAudience())
	require.ErrorIs(t, err, ErrInvalidKey, "repeated kid")
	// The minimal valid configurations.
	_, err = NewVerifier(src, WithIssuer(vtIss), AnyAudience())
	require.NoError(t, err)
	_, err = NewVerifier(src, WithIssuer(vtIss), WithAudience(vtAud))
	require.NoError(t, err)
}

// vtTok signs claims (vtClaims with set) with k under the issuer's header.
func vtTok(t testing.TB, k *Key, set map[string]any) string {
	t.Helper()
	return vtSign(t, k, vtHeader(k), vtClaims(vtT0, set))
}

func TestVerifierAlgorithms(t *testing.T) {
	clock := newVTClock(vtT0)
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			k := vtKey(t, alg, 0)
			tok := vtTok(t, k, nil)
			def := vtVerifier(t, StaticKeys(k), clock.Now)
			c, err := def.Verify(context.Background(), tok)
			if alg.IsSymmetric() {
				// HS* only when listed.
				requireRefused(t, c, err, ErrAlgorithm)
				listed := vtVerifier(t, StaticKeys(k), clock.Now, WithAlgorithms(alg))
				c, err = listed.Verify(context.Background(), tok)
			}
			require.NoError(t, err)
			require.Equal(t, "alice", c.Subject)

			// An allow-list without the key's algorithm refuses it.
			other := ES256
			if alg == ES256 {
				other = EdDSA
			}
			narrow := vtVerifier(t, StaticKeys(k), clock.Now, WithAlgorithms(other))
			c, err = narrow.Verify(context.Background(), tok)
			requireRefused(t, c, err, ErrAlgorithm)
		})
	}
}

func TestVerifierKidRequiredUnlessOneKey(t *testing.T) {
	clock := newVTClock(vtT0)
	a, b := vtKey(t, ES256, 0), vtKey(t, EdDSA, 0)
	noKid := vtSign(t, a, `{"alg":"ES256","typ":"at+jwt"}`, vtClaims(vtT0, nil))
	c, err := vtVerifier(t, StaticKeys(a), clock.Now).Verify(context.Background(), noKid)
	require.NoError(t, err)
	require.Equal(t, "alice", c.Subject)
	c, err = vtVerifier(t, StaticKeys(a, b), clock.Now).Verify(context.Background(), noKid)
	requireRefused(t, c, err, ErrUnknownKey)
	// With one key, a kid that names another key is still refused.
	wrong := vtSign(t, a, `{"alg":"ES256","kid":"other","typ":"at+jwt"}`, vtClaims(vtT0, nil))
	c, err = vtVerifier(t, StaticKeys(a), clock.Now).Verify(context.Background(), wrong)
	requireRefused(t, c, err, ErrUnknownKey)
}

type vtFailingSource struct{ err error }

func (s vtFailingSource) VerificationKey(context.Context, string) (*Key, error) { return nil, s.err }

func TestVerifierKeySourceFailure(t *testing.T) {
	clock := newVTClock(vtT0)
	tok := vtTok(t, vtKey(t, ES256, 0), nil)
	boom := errors.New("boom")
	c, err := vtVerifier(t, vtFailingSource{boom}, clock.Now).Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrKeySource)
	require.ErrorIs(t, err, boom)
	c, err = vtVerifier(t, vtFailingSource{ErrUnknownKey}, clock.Now).Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrUnknownKey)
	// A source that breaks its contract (no key, no error) is an error, not
	// a panic.
	c, err = vtVerifier(t, vtFailingSource{nil}, clock.Now).Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrKeySource)
	c, err = vtVerifier(t, vtFailingSource{nil}, clock.Now, WithCache(4)).Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrKeySource)
}

func TestVerifierType(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	typed := func(typ string) string {
		h := `{"alg":"ES256","kid":"` + k.id + `"`
		if typ != "-" {
			h += `,"typ":` + vtJSON(typ)
		}
		return vtSign(t, k, h+"}", vtClaims(vtT0, nil))
	}
	anyTyp := vtVerifier(t, StaticKeys(k), clock.Now, WithType(""))
	custom := vtVerifier(t, StaticKeys(k), clock.Now, WithType("dpop+jwt"))
	def := vtVerifier(t, StaticKeys(k), clock.Now)
	for _, tc := range []struct {
		v    *Verifier
		typ  string
		want error
	}{
		{def, "at+jwt", nil}, {def, "AT+JWT", nil}, {def, "application/at+jwt", nil}, {def, "Application/At+Jwt", nil},
		{def, "JWT", ErrType}, {def, "-", ErrType}, {def, "", ErrType}, {def, "application/jwt", ErrType},
		{anyTyp, "JWT", nil}, {anyTyp, "-", nil}, {anyTyp, "whatever", nil},
		{custom, "dpop+jwt", nil}, {custom, "application/DPoP+JWT", nil}, {custom, "at+jwt", ErrType},
	} {
		c, err := tc.v.Verify(context.Background(), typed(tc.typ))
		if tc.want == nil {
			require.NoError(t, err, "typ %q", tc.typ)
		} else {
			requireRefused(t, c, err, tc.want)
		}
	}
}

func TestVerifierRequiredClaims(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	src := StaticKeys(k)
	def := vtVerifier(t, src, clock.Now)
	none := vtVerifier(t, src, clock.Now, WithRequiredClaims())
	onlyExp := vtVerifier(t, src, clock.Now, WithRequiredClaims("exp"))
	custom := vtVerifier(t, src, clock.Now, WithRequiredClaims("client_id", "tenant"))
	for _, tc := range []struct {
		name string
		v    *Verifier
		set  map[string]any
		want error
	}{
		{"default: all present", def, nil, nil},
		{"default: sub missing", def, map[string]any{"sub": nil}, ErrMissingClaim},
		{"default: iat missing", def, map[string]any{"iat": nil}, ErrMissingClaim},
		{"default: jti missing", def, map[string]any{"jti": nil}, ErrMissingClaim},
		{"default: exp missing", def, map[string]any{"exp": nil}, ErrMissingClaim},
		{"default: nbf is optional", def, map[string]any{"nbf": nil}, nil},
		{"none: sub, iat, jti missing", none, map[string]any{"sub": nil, "iat": nil, "jti": nil}, nil},
		{"none: exp still required", none, map[string]any{"exp": nil}, ErrMissingClaim},
		{"exp only: exp still required", onlyExp, map[string]any{"exp": nil}, ErrMissingClaim},
		{"exp only: sub missing", onlyExp, map[string]any{"sub": nil}, nil},
		{"custom: both missing", custom, nil, ErrMissingClaim},
		{"custom: tenant missing", custom, map[string]any{"client_id": "c"}, ErrMissingClaim},
		{"custom: client_id missing", custom, map[string]any{"tenant": "t"}, ErrMissingClaim},
		{"custom: present", custom, map[string]any{"client_id": "c", "tenant": "t", "sub": nil}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(context.Background(), vtTok(t, k, tc.set))
			if tc.want == nil {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			requireRefused(t, c, err, tc.want)
		})
	}
}

func TestVerifierLeewayAndLifetime(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	src := StaticKeys(k)
	now := vtT0.Unix()
	def := vtVerifier(t, src, clock.Now)
	strict := vtVerifier(t, src, clock.Now, WithLeeway(0))
	wide := vtVerifier(t, src, clock.Now, WithLeeway(2*time.Minute))
	long := vtVerifier(t, src, clock.Now, AllowLongLived())
	for _, tc := range []struct {
		name string
		v    *Verifier
		set  map[string]any
		want error
	}{
		{"default leeway is 30 s: exp 29 s ago", def, map[string]any{"exp": now - 29}, nil},
		{"default leeway is 30 s: exp 30 s ago", def, map[string]any{"exp": now - 30}, ErrExpired},
		{"default leeway is 30 s: nbf in 30 s", def, map[string]any{"nbf": now + 30}, nil},
		{"default leeway is 30 s: nbf in 31 s", def, map[string]any{"nbf": now + 31}, ErrNotYetValid},
		{"no leeway: exp now", strict, map[string]any{"exp": now}, ErrExpired},
		{"no leeway: exp in 1 s", strict, map[string]any{"exp": now + 1}, nil},
		{"no leeway: nbf in 1 s", strict, map[string]any{"nbf": now + 1}, ErrNotYetValid},
		{"no leeway: iat in 1 s", strict, map[string]any{"iat": now + 1}, ErrNotYetValid},
		{"2 min leeway: exp 119 s ago", wide, map[string]any{"exp": now - 119}, nil},
		{"2 min leeway: exp 120 s ago", wide, map[string]any{"exp": now - 120}, ErrExpired},
		{"15 min lifetime", def, map[string]any{"exp": now + 15*60}, nil},
		{"1 h lifetime", def, map[string]any{"exp": now + 3600}, ErrLifetime},
		{"1 h lifetime, no iat", def, map[string]any{"exp": now + 3600, "iat": nil}, ErrMissingClaim},
		{"1 h lifetime, no iat, iat not required", vtVerifier(t, src, clock.Now, WithRequiredClaims("sub")), map[string]any{"exp": now + 3600, "iat": nil}, ErrLifetime},
		{"1 h lifetime, AllowLongLived", long, map[string]any{"exp": now + 3600}, nil},
		{"1 year lifetime, AllowLongLived", long, map[string]any{"exp": now + 365*86400}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(context.Background(), vtTok(t, k, tc.set))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			requireRefused(t, c, err, tc.want)
		})
	}
}

func TestVerifierMaxTokenSize(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	tok := func(n int) string {
		// The smallest padding of a private claim that reaches n bytes;
		// base64 makes some lengths unreachable ("" then).
		mk := func(pad int) string { return vtTok(t, k, map[string]any{"pad": strings.Repeat("x", pad)}) }
		pad := sort.Search(n, func(p int) bool { return len(mk(p)) >= n })
		if s := mk(pad); len(s) == n {
			return s
		}
		return ""
	}
	def := vtVerifier(t, StaticKeys(k), clock.Now)
	small := vtVerifier(t, StaticKeys(k), clock.Now, WithMaxTokenSize(1024))
	big := vtVerifier(t, StaticKeys(k), clock.Now, WithMaxTokenSize(64<<10))
	hit := 0
	for _, tc := range []struct {
		v    *Verifier
		size int
		want error
	}{
		{def, 8 << 10, nil}, {def, 8<<10 + 1, ErrTooLarge}, {def, 8<<10 + 2, ErrTooLarge},
		{small, 1024, nil}, {small, 1025, ErrTooLarge}, {small, 1026, ErrTooLarge},
		{big, 64 << 10, nil}, {big, 64<<10 + 2, ErrTooLarge},
	} {
		s := tok(tc.size)
		if s == "" {
			continue // base64 lengths skip some sizes
		}
		hit++
		c, err := tc.v.Verify(context.Background(), s)
		if tc.want == nil {
			require.NoError(t, err, "size %d", tc.size)
			continue
		}
		requireRefused(t, c, err, tc.want)
	}
	require.GreaterOrEqual(t, hit, 6)
}

func TestVerifierRevocation(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	for _, cacheSize := range []int{0, 16} {
		t.Run(fmt.Sprintf("cache=%d", cacheSize), func(t *testing.T) {
			rc := &vtRevoker{}
			v := vtVerifier(t, StaticKeys(k), clock.Now, WithRevocation(rc), WithCache(cacheSize))
			tok := vtTok(t, k, nil)
			for i := 1; i <= 3; i++ {
				c, err := v.Verify(context.Background(), tok)
				require.NoError(t, err)
				require.Equal(t, "jti-1", c.ID)
				require.Equal(t, i, rc.count(), "the checker runs on every verification, cached or not")
			}
			rc.set(true, nil)
			c, err := v.Verify(context.Background(), tok)
			requireRefused(t, c, err, ErrRevoked)
			// A checker that cannot answer fails the verification (fail
			// closed), and its error is kept.
			boom := errors.New("store down")
			rc.set(false, boom)
			c, err = v.Verify(context.Background(), tok)
			requireRefused(t, c, err, ErrRevoked)
			require.ErrorIs(t, err, boom)
			// A refused token (bad signature) is not even asked about.
			n := rc.count()
			c, err = v.Verify(context.Background(), tok[:len(tok)-2]+"AA")
			requireRefused(t, c, err, ErrSignature, ErrMalformed)
			require.Equal(t, n, rc.count())
			rc.set(false, nil)
			_, err = v.Verify(context.Background(), tok)
			require.NoError(t, err)
		})
	}
}

// vtRevoker answers what it is told and counts the questions.
type vtRevoker struct {
	mu      sync.Mutex
	n       int
	revoked bool
	err     error
}

func (r *vtRevoker) IsRevoked(context.Context, *Claims) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.revoked, r.err
}

func (r *vtRevoker) set(revoked bool, err error) {
	r.mu.Lock()
	r.revoked, r.err = revoked, err
	r.mu.Unlock()
}

func (r *vtRevoker) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func TestVerifierClaimsDecoded(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now)
	tok := vtTok(t, k, map[string]any{
		"aud": []string{"other", vtAud}, "sid": "s1", "client_id": "c1", "scope": "read write",
		"roles": []string{"admin", "dev"}, "tenant": "t1", "n": 1.5, "obj": map[string]any{"a": []any{1.0, "b"}},
		"s\u00fcb": "not sub",
	})
	c, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, &Claims{
		Issuer: vtIss, Subject: "alice", Audience: []string{"other", vtAud},
		ExpiresAt: vtT0.Add(5 * time.Minute), NotBefore: vtT0, IssuedAt: vtT0, ID: "jti-1",
		SessionID: "s1", ClientID: "c1", Scope: "read write", Roles: []string{"admin", "dev"},
		Extra: map[string]any{"tenant": "t1", "n": 1.5, "obj": map[string]any{"a": []any{1.0, "b"}}, "s\u00fcb": "not sub"},
	}, c)
	require.True(t, c.HasScope("write"))
	require.False(t, c.HasScope("wri"))
	require.Equal(t, time.UTC, c.ExpiresAt.Location())
	// Registered names never land in Extra, and roles must be strings.
	c, err = v.Verify(context.Background(), vtTok(t, k, map[string]any{"roles": "admin"}))
	requireRefused(t, c, err, ErrMalformed)
	c, err = v.Verify(context.Background(), vtTok(t, k, map[string]any{"sub": 1}))
	requireRefused(t, c, err, ErrMalformed)
	c, err = v.Verify(context.Background(), vtTok(t, k, map[string]any{"scope": []string{"a"}}))
	requireRefused(t, c, err, ErrMalformed)
}

func TestVerifierCacheBounded(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(4))
	for i := 0; i < 20; i++ {
		_, err := v.Verify(context.Background(), vtTok(t, k, map[string]any{"jti": fmt.Sprint("j", i)}))
		require.NoError(t, err)
		require.LessOrEqual(t, v.cache.len(), 4)
	}
	require.Equal(t, 4, v.cache.len())
	// Refused tokens are never cached.
	_, err := v.Verify(context.Background(), vtTok(t, k, map[string]any{"aud": "other"}))
	require.ErrorIs(t, err, ErrAudience)
	require.Equal(t, 4, v.cache.len())
	// WithCache(0) means no cache.
	require.Nil(t, vtVerifier(t, StaticKeys(k), clock.Now, WithCache(0)).cache)
}

// TestVerifierCacheHitSkipsSignature: an entry planted for a token whose
// signature is wrong answers for it, which shows the hit path does not
// verify again; and a hit costs fewer allocations than a full check.
func TestVerifierCacheHitSkipsSignature(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	src := StaticKeys(k)
	v := vtVerifier(t, src, clock.Now, WithCache(8))
	tok := vtTok(t, k, nil)
	c, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, 1, v.cache.len())

	h, p, _ := atkSegs(tok)
	forged := h + "." + p + "." + vtSeg(make([]byte, 64))
	_, err = v.Verify(context.Background(), forged)
	require.ErrorIs(t, err, ErrSignature, "not cached: verified, and refused")
	key, err := src.VerificationKey(context.Background(), k.id)
	require.NoError(t, err)
	v.cache.put(forged, &cacheEntry{claims: *c, key: key, kid: k.id})
	c2, err := v.Verify(context.Background(), forged)
	require.NoError(t, err, "a cache hit does not check the signature again")
	require.Equal(t, c, c2)

	uncached := vtVerifier(t, src, clock.Now)
	full := testing.AllocsPerRun(20, func() { _, _ = uncached.Verify(context.Background(), tok) })
	hit := testing.AllocsPerRun(20, func() { _, _ = v.Verify(context.Background(), tok) })
	require.Less(t, hit, full, "a hit allocates less than a verification")
}

func TestVerifierCacheExpiresWithToken(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(8))
	tok := vtTok(t, k, nil) // exp = vtT0 + 5 min
	_, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	clock.Add(5*time.Minute + 29*time.Second)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err, "within the leeway")
	clock.Add(time.Second)
	c, err := v.Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrExpired)
	// Going back in time (a clock step) does not make a cached token valid
	// before its nbf either.
	clock.Add(-time.Hour)
	c, err = v.Verify(context.Background(), tok)
	requireRefused(t, c, err, ErrNotYetValid)

	// Nor before its iat when it has no nbf: a hit answers as a full
	// verification would.
	clock = newVTClock(vtT0)
	cached := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(8))
	plain := vtVerifier(t, StaticKeys(k), clock.Now)
	noNbf := vtTok(t, k, map[string]any{"nbf": nil})
	_, err = cached.Verify(context.Background(), noNbf)
	require.NoError(t, err)
	clock.Add(-time.Hour)
	c, err = plain.Verify(context.Background(), noNbf)
	requireRefused(t, c, err, ErrNotYetValid)
	c, err = cached.Verify(context.Background(), noNbf)
	requireRefused(t, c, err, ErrNotYetValid)
}

func TestVerifierCacheFlushedOnRetire(t *testing.T) {
	clock := newVTClock(vtT0)
	old, next := vtKey(t, ES256, 0), vtKey(t, ES256, 1)
	ks, err := NewKeySet(old)
	require.NoError(t, err)
	v := vtVerifier(t, ks, clock.Now, WithCache(8))
	is := vtIssuer(t, ks, clock.Now)
	oldTok, err := is.Issue(context.Background(), Claims{Subject: "alice"})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), oldTok.Raw)
	require.NoError(t, err)
	require.NoError(t, ks.Rotate(next))
	newTok, err := is.Issue(context.Background(), Claims{Subject: "bob"})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), newTok.Raw)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), oldTok.Raw)
	require.NoError(t, err, "rotation alone keeps the old key verifying")
	require.Equal(t, 2, v.cache.len())

	require.NoError(t, ks.Retire(old.id))
	c, err := v.Verify(context.Background(), oldTok.Raw)
	requireRefused(t, c, err, ErrUnknownKey)
	require.Equal(t, 1, v.cache.len(), "the retired key's entry is dropped")
	c, err = v.Verify(context.Background(), newTok.Raw)
	require.NoError(t, err)
	require.Equal(t, "bob", c.Subject)
}

func TestVerifierCacheCannotBePoisoned(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(8))
	tok := vtTok(t, k, map[string]any{
		"aud": []string{vtAud, "other"}, "roles": []string{"user"},
		"obj": map[string]any{"level": "low", "list": []any{"a"}},
	})
	for i := 0; i < 3; i++ {
		c, err := v.Verify(context.Background(), tok)
		require.NoError(t, err)
		require.Equal(t, []string{vtAud, "other"}, c.Audience, "round %d", i)
		require.Equal(t, []string{"user"}, c.Roles)
		require.Equal(t, map[string]any{"level": "low", "list": []any{"a"}}, c.Extra["obj"])
		require.Equal(t, "alice", c.Subject)
		// The caller scribbles over everything it was given.
		c.Audience[0] = "evil"
		c.Audience = append(c.Audience, "more")
		c.Roles[0] = "admin"
		c.Subject = "mallory"
		obj := c.Extra["obj"].(map[string]any)
		obj["level"] = "root"
		obj["list"].([]any)[0] = "z"
		c.Extra["admin"] = true
	}
}

// TestVerifierCacheSize: the cache takes memory as it fills, not at
// construction (a large WithCache cost hundreds of MiB up front), and a
// size beyond any sane bound fails the constructor instead of panicking in
// make.
func TestVerifierCacheSize(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	for _, n := range []int{maxCacheEntries + 1, 1 << 40, math.MaxInt} {
		require.NotPanics(t, func() {
			v, err := NewVerifier(StaticKeys(k), WithIssuer(vtIss), WithAudience(vtAud), WithCache(n))
			require.ErrorIs(t, err, ErrInvalidOption, "WithCache(%d)", n)
			require.Nil(t, v)
		})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(maxCacheEntries))
	runtime.ReadMemStats(&after)
	// Up front, the ring alone was 256 MiB; the bound leaves room for
	// what other goroutines allocate meanwhile.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated by NewVerifier with the largest cache")
	require.Zero(t, cap(v.cache.ring))
	for i := range 3 {
		_, err := v.Verify(context.Background(), vtTok(t, k, map[string]any{"jti": fmt.Sprint("j", i)}))
		require.NoError(t, err)
	}
	require.Equal(t, 3, v.cache.len())
}

// vtScribbler is a RevocationChecker that writes to the claims it is
// shown, as a checker that normalises or annotates them would.
type vtScribbler struct{}

func (vtScribbler) IsRevoked(_ context.Context, c *Claims) (bool, error) {
	c.Subject += "!"
	if c.Extra == nil {
		c.Extra = map[string]any{}
	}
	c.Extra["seen"] = true
	return false, nil
}

// TestVerifierCacheHitCheckerGetsOwnCopy: on a cache hit the checker was
// handed the cached entry itself, shared by every concurrent call: a
// checker that wrote to it raced with the others (go test -race) and
// changed what later hits returned.
func TestVerifierCacheHitCheckerGetsOwnCopy(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(8), WithRevocation(vtScribbler{}))
	plain := vtVerifier(t, StaticKeys(k), clock.Now, WithRevocation(vtScribbler{}))
	tok := vtTok(t, k, nil)
	first, err := plain.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, "alice!", first.Subject, "the caller gets what its checker wrote")
	c, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, first, c, "a miss answers as an uncached verifier")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				c, err := v.Verify(context.Background(), tok)
				if !assert.NoError(t, err) || !assert.Equal(t, first.Subject, c.Subject, "a hit answers as an uncached verifier") {
					return
				}
			}
		})
	}
	wg.Wait()
}

// vtFlakyKeys fails lookups while down is set, as a remote source does
// during an outage or when the caller's context is cancelled.
type vtFlakyKeys struct {
	KeySource
	down atomic.Bool
}

func (f *vtFlakyKeys) VerificationKey(ctx context.Context, kid string) (*Key, error) {
	if f.down.Load() {
		return nil, fmt.Errorf("%w: down", ErrKeySource)
	}
	return f.KeySource.VerificationKey(ctx, kid)
}

// TestVerifierCacheEvictionAfterRemove: an entry dropped on a hit (its key
// lookup failed) left its token in the ring, so once cached again, the
// token was evicted when the ring came round to its old slot, with the
// cache not full.
func TestVerifierCacheEvictionAfterRemove(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	src := &vtFlakyKeys{KeySource: StaticKeys(k)}
	v := vtVerifier(t, src, clock.Now, WithCache(2))
	a := vtTok(t, k, map[string]any{"jti": "a"})
	b := vtTok(t, k, map[string]any{"jti": "b"})

	_, err := v.Verify(context.Background(), a)
	require.NoError(t, err)
	src.down.Store(true)
	c, err := v.Verify(context.Background(), a)
	requireRefused(t, c, err, ErrKeySource)
	require.Zero(t, v.cache.len(), "the entry is dropped when its key cannot be confirmed")
	src.down.Store(false)
	_, err = v.Verify(context.Background(), a)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), b)
	require.NoError(t, err)
	require.Equal(t, 2, v.cache.len(), "two tokens fit a cache of two")
	require.NotNil(t, v.cache.get(a))
	require.NotNil(t, v.cache.get(b))
}

func TestVerifierCacheConcurrent(t *testing.T) {
	clock := newVTClock(vtT0)
	k := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(k), clock.Now, WithCache(8))
	toks := make([]string, 16)
	for i := range toks {
		toks[i] = vtTok(t, k, map[string]any{"jti": fmt.Sprint("j", i)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				n := (g + i) % len(toks)
				c, err := v.Verify(context.Background(), toks[n])
				if err != nil || c.ID != fmt.Sprint("j", n) {
					errs <- fmt.Errorf("token %d: %v", n, err)
					return
				}
				c.Audience[0] = "scribble"
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.LessOrEqual(t, v.cache.len(), 8)
}

// Regression: a validly signed token whose header and signature together
// outgrew the verifier's 1 KiB scratch buffer made Verify panic (a long
// header, or the 1024-byte signature of an 8192-bit RSA key).
func TestVerifierLongHeaderAndLargeSignature(t *testing.T) {
	clock := newVTClock(vtT0)
	ec := vtKey(t, ES256, 0)
	v := vtVerifier(t, StaticKeys(ec), clock.Now)
	for _, n := range []int{0, 900, 959, 960, 961, 1024, 1100, 3000, 5500} {
		tok := vtSign(t, ec, `{"alg":"ES256","kid":"`+ec.id+`","typ":"at+jwt","x":"`+strings.Repeat("a", n)+`"}`, vtClaims(vtT0, nil))
		c, err := v.Verify(context.Background(), tok)
		require.NoError(t, err, "header padding %d", n)
		require.Equal(t, "alice", c.Subject)
		// The same with a wrong signature is refused, not a panic.
		h, p, _ := atkSegs(tok)
		c, err = v.Verify(context.Background(), h+"."+p+"."+vtSeg(make([]byte, 64)))
		requireRefused(t, c, err, ErrSignature)
	}
	// A 4096-bit RSA key: 512-byte signatures next to a long header.
	priv, err := rsa.GenerateKey(rand.Reader, 4096)
	require.NoError(t, err)
	rk, err := NewKey(priv, RS256)
	require.NoError(t, err)
	rv := vtVerifier(t, StaticKeys(rk), clock.Now)
	for _, n := range []int{0, 500, 2000} {
		tok := vtSign(t, rk, `{"alg":"RS256","kid":"`+rk.id+`","typ":"at+jwt","x":"`+strings.Repeat("a", n)+`"}`, vtClaims(vtT0, nil))
		_, err := rv.Verify(context.Background(), tok)
		require.NoError(t, err, "header padding %d", n)
	}
}

func TestTypeComparisonIsASCIIOnly(t *testing.T) {
	require.True(t, typeMatches("at+jwt", "AT+JWT"))
	require.True(t, typeMatches("at+jwt", "Application/At+Jwt"))
	require.True(t, typeMatches("custom-s", "CUSTOM-S"))
	require.False(t, typeMatches("custom-s", "custom-ſ"), "Unicode folding must not apply")
	require.False(t, typeMatches("at+jwt", "at+jwt "))
	require.False(t, typeMatches("at+jwt", "application/"))
}
