package jwt

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

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
