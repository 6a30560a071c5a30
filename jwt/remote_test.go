package jwt

// White-box tests of RemoteKeys: they wait for background fetches through
// the unexported state instead of sleeping.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/logbuf"
)

// remoteClock is a fake clock; jwttest's cannot be imported from here.
type remoteClock struct {
	mu sync.Mutex
	t  time.Time
}

func newRemoteClock() *remoteClock {
	return &remoteClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *remoteClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *remoteClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// jwksServer serves whatever the test sets, counting requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64

	mu      sync.Mutex
	status  int
	body    []byte
	header  http.Header
	handler http.HandlerFunc // overrides status/body when set
}

func newJWKSServer(t *testing.T, tls bool, keys ...*Key) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.setKeys(t, keys...)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		status, body, hdr, override := s.status, s.body, s.header, s.handler
		s.mu.Unlock()
		if override != nil {
			override(w, r)
			return
		}
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t *testing.T, keys ...*Key) {
	t.Helper()
	s.setBody(remoteJWKS(t, keys...))
}

func (s *jwksServer) setBody(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.handler = http.StatusOK, b, nil
}

func (s *jwksServer) setStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

func (s *jwksServer) setHeader(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.header == nil {
		s.header = http.Header{}
	}
	s.header.Set(k, v)
}

func (s *jwksServer) setHandler(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// open builds RemoteKeys on the server with a fake clock; TLS servers get
// their own client, which trusts their certificate.
func (s *jwksServer) open(t *testing.T, clock *remoteClock, opts ...RemoteOption) (*RemoteKeys, error) {
	t.Helper()
	all := []RemoteOption{WithRemoteClock(clock.Now)}
	if strings.HasPrefix(s.URL, "https:") {
		all = append(all, WithHTTPClient(s.Client()))
	}
	r, err := NewRemoteKeys(t.Context(), s.URL+"/jwks.json", append(all, opts...)...)
	if r != nil {
		t.Cleanup(func() { _ = r.Close() })
	}
	return r, err
}

func (s *jwksServer) mustOpen(t *testing.T, clock *remoteClock, opts ...RemoteOption) *RemoteKeys {
	t.Helper()
	r, err := s.open(t, clock, opts...)
	require.NoError(t, err)
	return r
}

func remoteJWKS(t *testing.T, keys ...*Key) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		Keys []*Key `json:"keys"`
	}{keys})
	require.NoError(t, err)
	return b
}

func remoteKey(t *testing.T, alg Algorithm) *Key {
	t.Helper()
	k, err := GenerateKey(alg)
	require.NoError(t, err)
	return k.Public()
}

// settle waits for the fetch under way, if any.
func (r *RemoteKeys) settle() {
	if f := r.flight.Load(); f != nil {
		<-f.done
	}
}

func TestRemoteKeysURLPolicy(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://issuer.example.com/.well-known/jwks.json", true},
		{"HTTPS://issuer.example.com/jwks", true},
		{"http://127.0.0.1:8080/jwks", true},
		{"http://127.1.2.3/jwks", true},
		{"http://[::1]:8080/jwks", true},
		{"http://localhost:8080/jwks", true},
		{"http://LocalHost/jwks", true},
		{"http://example.com/jwks", false},
		{"http://10.0.0.1/jwks", false},
		{"http://169.254.169.254/latest/meta-data", false},
		{"http://127.0.0.1.nip.io/jwks", false},
		{"http://localhost.example.com/jwks", false},
		{"http://[::ffff:10.0.0.1]/jwks", false},
		{"ftp://127.0.0.1/jwks", false},
		{"file:///etc/passwd", false},
		{"javascript:alert(1)", false},
		{"/relative/jwks.json", false},
		{"", false},
		{"https://", false},
		{"https://bad host/jwks", false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := checkJWKSURL(tc.url)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidOption)
			}
		})
	}

	t.Run("constructor refuses plain http to a remote host", func(t *testing.T) {
		r, err := NewRemoteKeys(t.Context(), "http://example.com/jwks.json")
		assert.ErrorIs(t, err, ErrInvalidOption)
		assert.Nil(t, r)
	})
	t.Run("constructor accepts plain http on loopback", func(t *testing.T) {
		k := remoteKey(t, ES256)
		srv := newJWKSServer(t, false, k)
		require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
		r := srv.mustOpen(t, newRemoteClock())
		got, err := r.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
		assert.Equal(t, k.ID(), got.ID())
	})
	t.Run("constructor over https", func(t *testing.T) {
		k := remoteKey(t, EdDSA)
		srv := newJWKSServer(t, true, k)
		r := srv.mustOpen(t, newRemoteClock())
		got, err := r.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
		assert.Equal(t, EdDSA, got.Algorithm())
	})
	t.Run("https without the test server's roots fails to connect", func(t *testing.T) {
		srv := newJWKSServer(t, true, remoteKey(t, ES256))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
		_, err := NewRemoteKeys(t.Context(), srv.URL)
		assert.ErrorIs(t, err, ErrKeySource)
	})
}

func TestRemoteKeysInvalidOptions(t *testing.T) {
	srv := newJWKSServer(t, false, remoteKey(t, ES256))
	tests := map[string]RemoteOption{
		"nil option":             nil,
		"nil client":             WithHTTPClient(nil),
		"zero timeout":           WithRequestTimeout(0),
		"negative timeout":       WithRequestTimeout(-time.Second),
		"huge timeout":           WithRequestTimeout(time.Hour),
		"tiny body cap":          WithMaxBodySize(100),
		"huge body cap":          WithMaxBodySize(1 << 30),
		"zero keys":              WithMaxKeys(0),
		"too many keys allowed":  WithMaxKeys(1_000_000),
		"zero refresh":           WithRefreshInterval(0),
		"refresh over a day":     WithRefreshInterval(25 * time.Hour),
		"refresh below min":      WithRefreshInterval(10 * time.Second),
		"min refresh below 1s":   WithMinRefreshInterval(time.Millisecond),
		"min refresh over 1h":    WithMinRefreshInterval(2 * time.Hour),
		"nil clock":              WithRemoteClock(nil),
		"nil logger":             WithRemoteLogger(nil),
		"min above refresh (5m)": WithMinRefreshInterval(10 * time.Minute),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := NewRemoteKeys(t.Context(), srv.URL, opt)
			assert.ErrorIs(t, err, ErrInvalidOption)
			assert.Nil(t, r)
		})
	}
	assert.Zero(t, srv.hits.Load(), "an invalid configuration never fetches")
}

func TestRemoteKeysLookup(t *testing.T) {
	es := remoteKey(t, ES256)
	rs := remoteKey(t, RS256)
	srv := newJWKSServer(t, true, es, rs)
	r := srv.mustOpen(t, newRemoteClock())

	got, err := r.VerificationKey(t.Context(), es.ID())
	require.NoError(t, err)
	assert.Equal(t, ES256, got.Algorithm())
	assert.False(t, got.CanSign())
	got, err = r.VerificationKey(t.Context(), rs.ID())
	require.NoError(t, err)
	assert.Equal(t, RS256, got.Algorithm())

	_, err = r.VerificationKey(t.Context(), "")
	assert.ErrorIs(t, err, ErrUnknownKey, "no kid with two keys")
	_, err = r.VerificationKey(t.Context(), "nope")
	assert.ErrorIs(t, err, ErrUnknownKey)

	t.Run("no kid with exactly one key", func(t *testing.T) {
		srv := newJWKSServer(t, true, es)
		r := srv.mustOpen(t, newRemoteClock())
		got, err := r.VerificationKey(t.Context(), "")
		require.NoError(t, err)
		assert.Equal(t, es.ID(), got.ID())
	})
}

// A4: kids built to reach a file, a database or a log are only ever map
// keys, and a flood of them is rate-limited.
func TestRemoteKeysKidInjection(t *testing.T) {
	srv := newJWKSServer(t, true, remoteKey(t, ES256), remoteKey(t, ES256))
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)
	clock.Advance(DefaultMinRefreshInterval)
	for _, kid := range []string{
		"../../../../dev/null", "/dev/null", "' OR 1=1 --", `"; DROP TABLE keys; --`,
		strings.Repeat("k", 10<<10), "kid\x00", "ключ", "\u202ekid", "",
	} {
		k, err := r.VerificationKey(t.Context(), kid)
		assert.ErrorIs(t, err, ErrUnknownKey, "%.40q", kid)
		assert.Nil(t, k)
		if err != nil {
			assert.Less(t, len(err.Error()), 200, "the error does not echo a 10 KB kid")
		}
	}
	assert.EqualValues(t, 2, srv.hits.Load(), "the initial fetch and one rate-limited refresh")
}

func TestRemoteKeysRejectedDocuments(t *testing.T) {
	good := remoteKey(t, ES256)
	oct, err := GenerateKey(HS256)
	require.NoError(t, err)
	octJSON := fmt.Sprintf(`{"kty":"oct","kid":"s","alg":"HS256","k":"%s"}`, base64.RawURLEncoding.EncodeToString(oct.secret))
	goodJSON, err := good.MarshalJSON()
	require.NoError(t, err)
	dup := fmt.Sprintf(`{"keys":[%s,%s]}`, goodJSON, goodJSON)

	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"server error", http.StatusInternalServerError, `{"keys":[]}`, "500"},
		{"not found", http.StatusNotFound, ``, "404"},
		{"not JSON", http.StatusOK, `<html>`, "JWK Set"},
		{"JSON array", http.StatusOK, `[]`, "JWK Set"},
		{"empty set", http.StatusOK, `{"keys":[]}`, "no signature key"},
		{"keys missing", http.StatusOK, `{}`, `without "keys"`},
		{"keys null", http.StatusOK, `{"keys":null}`, `without "keys"`},
		{"a single JWK instead of a set", http.StatusOK, string(goodJSON), `without "keys"`},
		{"duplicate kids", http.StatusOK, dup, "duplicate"},
		{"symmetric key", http.StatusOK, `{"keys":[` + octJSON + `]}`, "oct"},
		{"only an encryption key", http.StatusOK, `{"keys":[` + strings.Replace(string(goodJSON), `"use":"sig"`, `"use":"enc"`, 1) + `]}`, "no signature key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, true)
			srv.setBody([]byte(tc.body))
			srv.setStatus(tc.status)
			r, err := srv.open(t, newRemoteClock())
			require.ErrorIs(t, err, ErrKeySource)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, r)
		})
	}
}

func TestRemoteKeysEncryptionKeyNeverVerifies(t *testing.T) {
	sig := remoteKey(t, ES256)
	enc := remoteKey(t, ES256)
	sigJSON, err := sig.MarshalJSON()
	require.NoError(t, err)
	encJSON, err := enc.MarshalJSON()
	require.NoError(t, err)
	encJSON = []byte(strings.Replace(string(encJSON), `"use":"sig"`, `"use":"enc"`, 1))
	require.Contains(t, string(encJSON), `"use":"enc"`)

	srv := newJWKSServer(t, true)
	srv.setBody(fmt.Appendf(nil, `{"keys":[%s,%s]}`, sigJSON, encJSON))
	r := srv.mustOpen(t, newRemoteClock())
	_, err = r.VerificationKey(t.Context(), enc.ID())
	assert.ErrorIs(t, err, ErrUnknownKey)
	got, err := r.VerificationKey(t.Context(), "")
	require.NoError(t, err, "the enc key does not count: the sig key is the only key")
	assert.Equal(t, sig.ID(), got.ID())
}

func TestRemoteKeysServerErrorThenRecovery(t *testing.T) {
	k1, k2 := remoteKey(t, ES256), remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k1)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)

	// The issuer rotates, but its endpoint fails for a while.
	srv.setKeys(t, k2)
	srv.setStatus(http.StatusInternalServerError)
	clock.Advance(DefaultRefreshInterval)
	got, err := r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err, "a stale set still answers while it refreshes")
	assert.Equal(t, k1.ID(), got.ID())
	r.settle()
	assert.EqualValues(t, 2, srv.hits.Load())
	got, err = r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err, "stale-while-error: the last good set stays")
	assert.Equal(t, k1.ID(), got.ID())
	_, err = r.VerificationKey(t.Context(), k2.ID())
	assert.ErrorIs(t, err, ErrUnknownKey, "the source is reachable-in-principle: an unknown key, not an outage")
	assert.EqualValues(t, 2, srv.hits.Load(), "no retry before the min refresh interval")

	// Recovery: the next attempt, one min interval later, succeeds.
	srv.setStatus(http.StatusOK)
	clock.Advance(DefaultMinRefreshInterval)
	got, err = r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err, "no sticky failure")
	assert.Equal(t, k2.ID(), got.ID())
	_, err = r.VerificationKey(t.Context(), k1.ID())
	assert.ErrorIs(t, err, ErrUnknownKey)
	assert.EqualValues(t, 3, srv.hits.Load())
}

func TestRemoteKeysLazyFetch(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	srv.setStatus(http.StatusInternalServerError)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock, WithLazyFetch())
	assert.Zero(t, srv.hits.Load(), "nothing fetched at construction")

	_, err := r.VerificationKey(t.Context(), k.ID())
	require.ErrorIs(t, err, ErrKeySource, "never reached: the source cannot answer")
	assert.Contains(t, err.Error(), "500")
	_, err = r.VerificationKey(t.Context(), k.ID())
	require.ErrorIs(t, err, ErrKeySource)
	assert.EqualValues(t, 1, srv.hits.Load(), "retries wait for the min refresh interval")

	srv.setStatus(http.StatusOK)
	clock.Advance(DefaultMinRefreshInterval)
	got, err := r.VerificationKey(t.Context(), k.ID())
	require.NoError(t, err, "a failed first fetch does not stick")
	assert.Equal(t, k.ID(), got.ID())
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRemoteKeysHangingServer(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	// The handler ignores its request's cancellation: it never answers
	// while the test runs, so the timeout is the only way out.
	hang := func(http.ResponseWriter, *http.Request) { <-release }
	const timeout = 200 * time.Millisecond

	t.Run("first fetch times out", func(t *testing.T) {
		srv.setHandler(hang)
		start := time.Now()
		_, err := srv.open(t, newRemoteClock(), WithRequestTimeout(timeout))
		require.ErrorIs(t, err, ErrKeySource)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("refresh times out and the last good set stays", func(t *testing.T) {
		srv.setKeys(t, k)
		clock := newRemoteClock()
		r := srv.mustOpen(t, clock, WithRequestTimeout(timeout))
		srv.setHandler(hang)
		clock.Advance(DefaultMinRefreshInterval)
		_, err := r.VerificationKey(t.Context(), "rotated-kid")
		assert.ErrorIs(t, err, ErrUnknownKey)
		got, err := r.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
		assert.Equal(t, k.ID(), got.ID())
	})

	t.Run("the caller's context bounds its wait", func(t *testing.T) {
		srv.setKeys(t, k)
		clock := newRemoteClock()
		r := srv.mustOpen(t, clock)
		srv.setHandler(hang)
		clock.Advance(DefaultMinRefreshInterval)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := r.VerificationKey(ctx, "rotated-kid")
		assert.ErrorIs(t, err, ErrKeySource)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		require.NoError(t, r.Close(), "Close stops the fetch in flight")
		_, err = r.VerificationKey(t.Context(), k.ID())
		assert.NoError(t, err, "a closed source still answers from its last set")
		assert.ErrorIs(t, r.Refresh(t.Context()), ErrKeySource)
	})
}

func TestRemoteKeysOversizedBody(t *testing.T) {
	k := remoteKey(t, ES256)
	const hundredMB = 100 << 20
	var written atomic.Int64
	stream := func(declare bool) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if declare {
				w.Header().Set("Content-Length", strconv.Itoa(hundredMB))
			}
			chunk := []byte(`{"keys":[` + strings.Repeat(" ", 32<<10))
			for n := 0; n < hundredMB; n += len(chunk) {
				m, err := w.Write(chunk)
				written.Add(int64(m))
				if err != nil {
					return
				}
				chunk = chunk[:cap(chunk)]
				for i := range chunk {
					chunk[i] = ' '
				}
			}
		}
	}
	for _, declare := range []bool{false, true} {
		t.Run(fmt.Sprintf("content-length declared %v", declare), func(t *testing.T) {
			written.Store(0)
			srv := newJWKSServer(t, true)
			srv.setHandler(stream(declare))
			_, err := srv.open(t, newRemoteClock())
			require.ErrorIs(t, err, ErrKeySource)
			assert.Contains(t, err.Error(), "bytes")

			srv.setKeys(t, k)
			clock := newRemoteClock()
			r := srv.mustOpen(t, clock)
			srv.setHandler(stream(declare))
			clock.Advance(DefaultRefreshInterval)
			require.Error(t, r.Refresh(t.Context()))
			got, err := r.VerificationKey(t.Context(), k.ID())
			require.NoError(t, err, "the last good set stays")
			assert.Equal(t, k.ID(), got.ID())
			srv.Close() // stop the writers before counting
			assert.Less(t, written.Load(), int64(32<<20), "the body was not read to its end")
		})
	}
}

func TestRemoteKeysTooManyKeys(t *testing.T) {
	k := remoteKey(t, ES256)
	one, err := k.MarshalJSON()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	for i := range 10_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Replace(string(one), k.ID(), "k"+strconv.Itoa(i), 1))
	}
	b.WriteString(`]}`)
	tenK := []byte(b.String())
	require.Greater(t, len(tenK), DefaultRemoteMaxBodySize)

	t.Run("default caps", func(t *testing.T) {
		srv := newJWKSServer(t, true)
		srv.setBody(tenK)
		_, err := srv.open(t, newRemoteClock())
		assert.ErrorIs(t, err, ErrKeySource)
	})
	t.Run("key cap with a larger body cap", func(t *testing.T) {
		srv := newJWKSServer(t, true)
		srv.setBody(tenK)
		_, err := srv.open(t, newRemoteClock(), WithMaxBodySize(4<<20))
		require.ErrorIs(t, err, ErrKeySource)
		assert.Contains(t, err.Error(), "10000 keys (limit 100)")
	})
	t.Run("refresh over the cap keeps the last good set", func(t *testing.T) {
		srv := newJWKSServer(t, true, k)
		r := srv.mustOpen(t, newRemoteClock(), WithMaxKeys(2))
		srv.setKeys(t, remoteKey(t, ES256), remoteKey(t, ES256), remoteKey(t, ES256))
		require.ErrorIs(t, r.Refresh(t.Context()), ErrKeySource)
		_, err := r.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
	})
}

// TestRemoteKeysDuplicateKeysMember: encoding/json keeps the last of two
// "keys" members while jwx's set parser concatenates them, so a document
// whose last "keys" is short passed the key-count check and then installed
// every key of both. A document the two parsers read differently is
// refused, and the last good set stays.
func TestRemoteKeysDuplicateKeysMember(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	r := srv.mustOpen(t, newRemoteClock(), WithMaxKeys(2))
	extra := []*Key{remoteKey(t, ES256), remoteKey(t, ES256), remoteKey(t, ES256)}
	many := remoteJWKS(t, extra...)
	one := remoteJWKS(t, k)
	for name, doc := range map[string]string{
		"long then short": `{"keys":` + string(many[len(`{"keys":`):len(many)-1]) + `,"keys":` + string(one[len(`{"keys":`):len(one)-1]) + `}`,
		"short then long": `{"keys":` + string(one[len(`{"keys":`):len(one)-1]) + `,"keys":` + string(many[len(`{"keys":`):len(many)-1]) + `}`,
		"escaped name":    `{"keys":` + string(many[len(`{"keys":`):len(many)-1]) + `,"k\u0065ys":` + string(one[len(`{"keys":`):len(one)-1]) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv.setBody([]byte(doc))
			require.ErrorIs(t, r.Refresh(t.Context()), ErrKeySource)
			for _, x := range extra {
				_, err := r.VerificationKey(t.Context(), x.ID())
				require.ErrorIs(t, err, ErrUnknownKey, "a key beyond the cap was installed")
			}
			got, err := r.VerificationKey(t.Context(), k.ID())
			require.NoError(t, err, "the last good set stays")
			assert.Equal(t, k.ID(), got.ID())
		})
	}
}

func TestRemoteKeysDuplicateKidsKeepLastGoodSet(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	r := srv.mustOpen(t, newRemoteClock())
	attacker := remoteKey(t, ES256).WithID(k.ID())
	srv.setKeys(t, k, attacker)
	err := r.Refresh(t.Context())
	require.ErrorIs(t, err, ErrKeySource)
	assert.ErrorIs(t, err, ErrInvalidKey)
	got, err := r.VerificationKey(t.Context(), k.ID())
	require.NoError(t, err)
	assert.True(t, sameKey(got, k), "the original key, not the one sharing its kid")
}

func TestRemoteKeysRedirects(t *testing.T) {
	k := remoteKey(t, ES256)
	plain := newJWKSServer(t, false, k)
	otherTLS := newJWKSServer(t, true, k)
	redirectTo := func(target string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		}
	}

	t.Run("https to http refused", func(t *testing.T) {
		srv := newJWKSServer(t, true)
		srv.setHandler(redirectTo(plain.URL + "/jwks.json"))
		_, err := srv.open(t, newRemoteClock())
		require.ErrorIs(t, err, ErrKeySource)
		assert.Contains(t, err.Error(), "redirect")
		assert.Zero(t, plain.hits.Load(), "the http URL was never requested")
	})
	t.Run("to another host refused", func(t *testing.T) {
		srv := newJWKSServer(t, true)
		srv.setHandler(redirectTo(otherTLS.URL + "/jwks.json"))
		_, err := srv.open(t, newRemoteClock())
		require.ErrorIs(t, err, ErrKeySource)
		assert.Zero(t, otherTLS.hits.Load())
	})
	t.Run("within the origin followed", func(t *testing.T) {
		srv := newJWKSServer(t, true, k)
		body := remoteJWKS(t, k)
		srv.setHandler(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/moved" {
				http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
				return
			}
			_, _ = w.Write(body)
		})
		r := srv.mustOpen(t, newRemoteClock())
		_, err := r.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
	})
	t.Run("redirect loop stops", func(t *testing.T) {
		srv := newJWKSServer(t, true)
		srv.setHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		})
		_, err := srv.open(t, newRemoteClock())
		require.ErrorIs(t, err, ErrKeySource)
		assert.LessOrEqual(t, srv.hits.Load(), int64(maxRemoteRedirects+1))
	})
	t.Run("the caller's client policy is consulted too", func(t *testing.T) {
		srv := newJWKSServer(t, true, k)
		srv.setHandler(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/moved" {
				http.Redirect(w, r, "/moved", http.StatusFound)
				return
			}
			_, _ = w.Write(remoteJWKS(t, k))
		})
		client := srv.Client()
		var asked atomic.Int64
		client.CheckRedirect = func(*http.Request, []*http.Request) error {
			asked.Add(1)
			return errors.New("no redirects here")
		}
		_, err := NewRemoteKeys(t.Context(), srv.URL, WithHTTPClient(client))
		require.ErrorIs(t, err, ErrKeySource)
		assert.EqualValues(t, 1, asked.Load())
		assert.NotNil(t, client.CheckRedirect, "the caller's client is not modified")
	})
}

// A21: a flood of unknown kids from many goroutines causes at most one
// fetch per min refresh interval.
func TestRemoteKeysUnknownKidFlood(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)

	flood := func() {
		var wg sync.WaitGroup
		for g := range 50 {
			wg.Go(func() {
				for i := range 20 {
					_, err := r.VerificationKey(t.Context(), fmt.Sprintf("unknown-%d-%d", g, i))
					if !errors.Is(err, ErrUnknownKey) {
						t.Errorf("lookup %d/%d: %v", g, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	flood()
	assert.EqualValues(t, 1, srv.hits.Load(), "within the min interval after the first fetch: no fetch")
	clock.Advance(DefaultMinRefreshInterval)
	flood()
	assert.EqualValues(t, 2, srv.hits.Load(), "one fetch for a whole flood")
	clock.Advance(DefaultMinRefreshInterval - time.Second)
	flood()
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRemoteKeysUnknownKidFindsNewKey(t *testing.T) {
	k1, k2 := remoteKey(t, ES256), remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k1)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)
	srv.setKeys(t, k1, k2)

	_, err := r.VerificationKey(t.Context(), k2.ID())
	assert.ErrorIs(t, err, ErrUnknownKey, "rate limit: too soon after the first fetch")
	clock.Advance(DefaultMinRefreshInterval)
	got, err := r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err, "an unknown kid triggers one refresh")
	assert.Equal(t, k2.ID(), got.ID())
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRemoteKeysRotationPickedUpAfterInterval(t *testing.T) {
	k1, k2 := remoteKey(t, ES256), remoteKey(t, EdDSA)
	srv := newJWKSServer(t, true, k1, k2)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)
	before, err := r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err)

	srv.setKeys(t, k2) // the issuer retires k1
	clock.Advance(DefaultRefreshInterval - time.Second)
	_, err = r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err, "fresh until the interval has passed")
	r.settle()
	assert.EqualValues(t, 1, srv.hits.Load())

	clock.Advance(time.Second)
	_, err = r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err, "the lookup that finds the set stale is answered from it")
	r.settle()
	assert.EqualValues(t, 2, srv.hits.Load())
	_, err = r.VerificationKey(t.Context(), k1.ID())
	assert.ErrorIs(t, err, ErrUnknownKey, "retired at the issuer, gone here")
	after, err := r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err)
	assert.Same(t, before, after, "an unchanged key keeps its identity, so verifier caches stay valid")
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRemoteKeysCacheControl(t *testing.T) {
	tests := []struct {
		cacheControl string
		staleAfter   time.Duration
	}{
		{"", DefaultRefreshInterval},
		{"public, max-age=60", time.Minute},
		{"max-age=1", DefaultMinRefreshInterval},
		{"no-store", DefaultMinRefreshInterval},
		{"max-age=86400", DefaultRefreshInterval},
		{"max-age=bogus", DefaultRefreshInterval},
	}
	for _, tc := range tests {
		t.Run(tc.cacheControl, func(t *testing.T) {
			srv := newJWKSServer(t, true, remoteKey(t, ES256))
			srv.setHeader("Cache-Control", tc.cacheControl)
			clock := newRemoteClock()
			r := srv.mustOpen(t, clock)
			clock.Advance(tc.staleAfter - time.Second)
			_, err := r.VerificationKey(t.Context(), "")
			require.NoError(t, err)
			r.settle()
			assert.EqualValues(t, 1, srv.hits.Load(), "fresh before %v", tc.staleAfter)
			clock.Advance(time.Second)
			_, err = r.VerificationKey(t.Context(), "")
			require.NoError(t, err)
			r.settle()
			assert.EqualValues(t, 2, srv.hits.Load(), "stale at %v", tc.staleAfter)
		})
	}
}

// RemoteKeys reading JWKSHandler: the pair in production, including its
// conditional requests.
func TestRemoteKeysFromJWKSHandler(t *testing.T) {
	k1, err := GenerateKey(ES256)
	require.NoError(t, err)
	ks, err := NewKeySet(k1)
	require.NoError(t, err)
	var hits, notModified atomic.Int64
	h := JWKSHandler(ks)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusNotModified {
			notModified.Add(1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	clock := newRemoteClock()
	r, err := NewRemoteKeys(t.Context(), srv.URL, WithHTTPClient(srv.Client()), WithRemoteClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	before, err := r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err)

	clock.Advance(JWKSMaxAge)
	require.NoError(t, r.Refresh(t.Context()))
	assert.EqualValues(t, 1, notModified.Load(), "an unchanged set answers 304")
	same, err := r.VerificationKey(t.Context(), k1.ID())
	require.NoError(t, err)
	assert.Same(t, before, same)

	k2, err := GenerateKey(EdDSA)
	require.NoError(t, err)
	require.NoError(t, ks.Rotate(k2))
	clock.Advance(DefaultMinRefreshInterval)
	got, err := r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err, "the rotated-to key is found through an unknown-kid refresh")
	assert.Equal(t, EdDSA, got.Algorithm())
	assert.EqualValues(t, 3, hits.Load())
}

// A5: a token's jku or x5u is never fetched, and an embedded jwk never
// used, whatever the kid.
func TestRemoteKeysNeverFollowTokenURLs(t *testing.T) {
	legit, err := GenerateKey(ES256)
	require.NoError(t, err)
	attacker, err := GenerateKey(ES256)
	require.NoError(t, err)
	jwks := newJWKSServer(t, true, legit.Public())
	evil := newJWKSServer(t, true, attacker.Public())
	evilPlain := newJWKSServer(t, false, attacker.Public())

	clock := newRemoteClock()
	r := jwks.mustOpen(t, clock)
	v, err := NewVerifier(r, WithIssuer("https://issuer.example"), WithAudience("api"), WithClock(clock.Now))
	require.NoError(t, err)
	clock.Advance(DefaultMinRefreshInterval) // let an unknown kid refresh once

	attackerJWK, err := attacker.Public().MarshalJSON()
	require.NoError(t, err)
	now := clock.Now().Unix()
	claims := fmt.Sprintf(`{"iss":"https://issuer.example","aud":"api","sub":"mallory","jti":"j","iat":%d,"exp":%d}`, now, now+60)
	forge := func(header map[string]any) string {
		h, err := json.Marshal(header)
		require.NoError(t, err)
		input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		sig, err := attacker.sign([]byte(input))
		require.NoError(t, err)
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	base := func(kid string) map[string]any {
		return map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}
	}
	tests := []struct {
		name   string
		header map[string]any
		want   error
	}{
		{"jku to the attacker's set", remoteWith(base(attacker.ID()), "jku", evil.URL+"/jwks.json"), ErrUnknownKey},
		{"jku over plain http to loopback", remoteWith(base(attacker.ID()), "jku", evilPlain.URL), ErrUnknownKey},
		{"jku to a metadata address", remoteWith(base(attacker.ID()), "jku", "http://169.254.169.254/latest"), ErrUnknownKey},
		{"x5u to the attacker", remoteWith(base(attacker.ID()), "x5u", evil.URL+"/cert.pem"), ErrUnknownKey},
		{"jku with the legit kid", remoteWith(base(legit.ID()), "jku", evil.URL+"/jwks.json"), ErrSignature},
		{"embedded jwk", remoteWith(base(attacker.ID()), "jwk", json.RawMessage(attackerJWK)), ErrUnknownKey},
		{"embedded jwk with the legit kid", remoteWith(base(legit.ID()), "jwk", json.RawMessage(attackerJWK)), ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), forge(tc.header))
			assert.ErrorIs(t, err, tc.want)
			assert.Nil(t, c)
		})
	}
	assert.Zero(t, evil.hits.Load(), "the attacker's https server was never contacted")
	assert.Zero(t, evilPlain.hits.Load(), "the attacker's http server was never contacted")
	assert.EqualValues(t, 2, jwks.hits.Load(), "the configured URL only: the first fetch and one unknown-kid refresh")
}

func remoteWith(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func TestRemoteKeysConcurrentRefreshAndLookup(t *testing.T) {
	keys := []*Key{remoteKey(t, ES256), remoteKey(t, ES256), remoteKey(t, ES256)}
	srv := newJWKSServer(t, true, keys[0])
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock, WithMinRefreshInterval(time.Second), WithRefreshInterval(time.Second))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, k := range keys {
					_, err := r.VerificationKey(t.Context(), k.ID())
					if err != nil && !errors.Is(err, ErrUnknownKey) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for i := range 20 {
		srv.setKeys(t, keys[:1+i%3]...)
		clock.Advance(time.Second)
		require.NoError(t, r.Refresh(t.Context()))
	}
	close(stop)
	wg.Wait()
	require.NoError(t, r.Close())
}

// The lookup every verification (cached ones included) makes, against the
// in-memory KeySet as the baseline.
func BenchmarkRemoteKeysLookup(b *testing.B) {
	signing, err := GenerateKey(ES256)
	require.NoError(b, err)
	others := []*Key{remoteKey(&testing.T{}, ES256), remoteKey(&testing.T{}, ES256)}
	ks, err := NewKeySet(signing, others...)
	require.NoError(b, err)
	srv := httptest.NewServer(JWKSHandler(ks))
	b.Cleanup(srv.Close)
	r, err := NewRemoteKeys(b.Context(), srv.URL)
	require.NoError(b, err)
	b.Cleanup(func() { _ = r.Close() })
	kid := signing.ID()

	b.Run("source=KeySet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ks.VerificationKey(b.Context(), kid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("source=RemoteKeys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.VerificationKey(b.Context(), kid); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestRemoteKeysClockSetBack(t *testing.T) {
	k1, k2 := remoteKey(t, ES256), remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k1)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)
	srv.setKeys(t, k1, k2)
	clock.Advance(-time.Hour) // the wall clock is corrected backwards
	got, err := r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err, "the rate limit does not last for the hour the clock lost")
	assert.Equal(t, k2.ID(), got.ID())
	_, err = r.VerificationKey(t.Context(), "unknown")
	assert.ErrorIs(t, err, ErrUnknownKey)
	assert.EqualValues(t, 2, srv.hits.Load(), "and it applies again from there")
}

func TestRemoteKeysKidReusedForAnotherKey(t *testing.T) {
	k1 := remoteKey(t, ES256).WithID("main")
	k2 := remoteKey(t, ES256).WithID("main")
	srv := newJWKSServer(t, true, k1)
	r := srv.mustOpen(t, newRemoteClock())
	before, err := r.VerificationKey(t.Context(), "main")
	require.NoError(t, err)
	srv.setKeys(t, k2)
	require.NoError(t, r.Refresh(t.Context()))
	after, err := r.VerificationKey(t.Context(), "main")
	require.NoError(t, err)
	assert.NotSame(t, before, after, "new key material under an old kid is a new key: caches drop the old one")
	assert.True(t, sameKey(after, k2))
	assert.False(t, sameKey(after, k1))
}

func TestRemoteKeysLogsFailedRefresh(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	logger, logged := capturedLogger()
	r := srv.mustOpen(t, newRemoteClock(), WithRemoteLogger(logger))
	srv.setStatus(http.StatusBadGateway)
	require.ErrorIs(t, r.Refresh(t.Context()), ErrKeySource)
	out := logged()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "502")
}

// TestRemoteKeysLogHidesURLPassword: a JWKS URL may carry basic-auth
// credentials; the warning logged for a failed refresh printed the URL
// whole.
func TestRemoteKeysLogHidesURLPassword(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	logger, logged := capturedLogger()
	const password = "s3cr3t-pw"
	u := strings.Replace(srv.URL, "https://", "https://svc:"+password+"@", 1) + "/jwks.json"
	r, err := NewRemoteKeys(t.Context(), u, WithHTTPClient(srv.Client()), WithRemoteLogger(logger), WithRemoteClock(newRemoteClock().Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	srv.setStatus(http.StatusBadGateway)
	err = r.Refresh(t.Context())
	require.ErrorIs(t, err, ErrKeySource)
	assert.NotContains(t, err.Error(), password)
	srv.Close()
	err = r.Refresh(t.Context())
	require.ErrorIs(t, err, ErrKeySource)
	assert.NotContains(t, err.Error(), password)
	out := logged()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "svc")
	assert.NotContains(t, out, password)
}

// capturedLogger returns a logger that writes text records to a buffer,
// safe for the background refreshes, and a function that reads it.
func capturedLogger() (*slog.Logger, func() string) {
	var buf logbuf.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), buf.String
}

func TestRemoteKeysNilContext(t *testing.T) {
	k := remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k)
	var nilCtx context.Context
	_, err := NewRemoteKeys(nilCtx, srv.URL, WithHTTPClient(srv.Client()))
	assert.ErrorIs(t, err, ErrInvalidOption)
	r, err := NewRemoteKeys(nilCtx, srv.URL, WithHTTPClient(srv.Client()), WithLazyFetch())
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	got, err := r.VerificationKey(nilCtx, k.ID())
	require.NoError(t, err)
	assert.Equal(t, k.ID(), got.ID())
	assert.NoError(t, r.Refresh(nilCtx))
}

// A background refresh belongs to RemoteKeys, not to the request that
// happened to find the set stale: cancelling that request does not stop it.
func TestRemoteKeysRefreshOutlivesTheTriggeringRequest(t *testing.T) {
	k1, k2 := remoteKey(t, ES256), remoteKey(t, ES256)
	srv := newJWKSServer(t, true, k1)
	clock := newRemoteClock()
	r := srv.mustOpen(t, clock)
	srv.setKeys(t, k2)
	clock.Advance(DefaultRefreshInterval)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := r.VerificationKey(ctx, k1.ID())
	require.NoError(t, err, "answered from the set in hand")
	assert.Equal(t, k1.ID(), got.ID())
	r.settle()
	got, err = r.VerificationKey(t.Context(), k2.ID())
	require.NoError(t, err, "the refresh completed")
	assert.Equal(t, k2.ID(), got.ID())
	assert.EqualValues(t, 2, srv.hits.Load())
}
