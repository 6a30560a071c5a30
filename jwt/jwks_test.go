package jwt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/jwt/jwttest"
)

type jwksResponse struct {
	status int
	header http.Header
	body   []byte
}

func jwksGet(t *testing.T, h http.Handler, method string, hdr map[string]string) jwksResponse {
	t.Helper()
	req := httptest.NewRequest(method, "/.well-known/jwks.json", nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return jwksResponse{status: rec.Code, header: rec.Result().Header, body: body}
}

func jwksGenKey(t *testing.T, alg jwt.Algorithm) *jwt.Key {
	t.Helper()
	k, err := jwt.GenerateKey(alg)
	require.NoError(t, err)
	return k
}

// jwksKids returns the kids of a served document, failing on any member a
// published key must not have.
func jwksKids(t *testing.T, body []byte) []string {
	t.Helper()
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	kids := make([]string, 0, len(doc.Keys))
	for _, k := range doc.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			assert.NotContains(t, k, private, "published key has private member %q", private)
		}
		assert.NotEqual(t, "oct", k["kty"], "a secret was published")
		assert.NotEmpty(t, k["kid"])
		assert.NotEmpty(t, k["alg"])
		assert.Equal(t, "sig", k["use"])
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

func TestJWKSHandlerPublishesPublicKeysOnly(t *testing.T) {
	es := jwksGenKey(t, jwt.ES256)
	ed := jwksGenKey(t, jwt.EdDSA)
	rs := jwksGenKey(t, jwt.RS256)
	hs := jwksGenKey(t, jwt.HS256)
	ks, err := jwt.NewKeySet(es, ed, rs, hs)
	require.NoError(t, err)

	res := jwksGet(t, jwt.JWKSHandler(ks), http.MethodGet, nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "application/jwk-set+json", res.header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=300", res.header.Get("Cache-Control"))
	assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
	etag := res.header.Get("ETag")
	assert.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag, "a strong ETag")

	assert.ElementsMatch(t, []string{es.ID(), ed.ID(), rs.ID()}, jwksKids(t, res.body))
	assert.NotContains(t, string(res.body), hs.ID(), "the HMAC key is not even named")

	// The document is what RemoteKeys and other libraries read.
	keys, err := jwt.ParseKeySet(res.body)
	require.NoError(t, err)
	require.Len(t, keys, 3)
	for _, k := range keys {
		assert.False(t, k.CanSign(), "a parsed published key can sign")
		want, err := ks.VerificationKey(t.Context(), k.ID())
		require.NoError(t, err)
		assert.Equal(t, want.Algorithm(), k.Algorithm())
		wantJSON, err := want.MarshalJSON()
		require.NoError(t, err)
		gotJSON, err := k.MarshalJSON()
		require.NoError(t, err)
		assert.JSONEq(t, string(wantJSON), string(gotJSON))
	}
}

func TestJWKSHandlerOnlyHMACKeys(t *testing.T) {
	ks, err := jwt.NewKeySet(jwksGenKey(t, jwt.HS512))
	require.NoError(t, err)
	res := jwksGet(t, jwt.JWKSHandler(ks), http.MethodGet, nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.JSONEq(t, `{"keys":[]}`, string(res.body))
}

func TestJWKSHandlerConditionalGet(t *testing.T) {
	ks, err := jwt.NewKeySet(jwksGenKey(t, jwt.ES256))
	require.NoError(t, err)
	h := jwt.JWKSHandler(ks)
	first := jwksGet(t, h, http.MethodGet, nil)
	etag := first.header.Get("ETag")
	require.NotEmpty(t, etag)

	tests := []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"same etag", etag, http.StatusNotModified},
		{"weak form of the same etag", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other etag", `"other"`, http.StatusOK},
		{"garbage", `not-an-etag`, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := jwksGet(t, h, http.MethodGet, map[string]string{"If-None-Match": tc.ifNoneMatch})
			require.Equal(t, tc.want, res.status)
			assert.Equal(t, etag, res.header.Get("ETag"))
			if tc.want == http.StatusNotModified {
				assert.Empty(t, res.body)
				assert.Equal(t, "public, max-age=300", res.header.Get("Cache-Control"))
			} else {
				assert.Equal(t, first.body, res.body)
			}
		})
	}
}

func TestJWKSHandlerMethods(t *testing.T) {
	ks, err := jwt.NewKeySet(jwksGenKey(t, jwt.ES256))
	require.NoError(t, err)
	h := jwt.JWKSHandler(ks)

	get := jwksGet(t, h, http.MethodGet, nil)
	head := jwksGet(t, h, http.MethodHead, nil)
	require.Equal(t, http.StatusOK, head.status)
	assert.Empty(t, head.body)
	assert.Equal(t, get.header.Get("ETag"), head.header.Get("ETag"))
	assert.Equal(t, get.header.Get("Content-Length"), head.header.Get("Content-Length"))

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		res := jwksGet(t, h, m, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, res.status, m)
		assert.Equal(t, "GET, HEAD", res.header.Get("Allow"), m)
		assert.NotContains(t, string(res.body), `"keys"`, m)
	}
}

func TestJWKSHandlerFollowsRotation(t *testing.T) {
	first := jwksGenKey(t, jwt.ES256)
	ks, err := jwt.NewKeySet(first)
	require.NoError(t, err)
	h := jwt.JWKSHandler(ks)

	before := jwksGet(t, h, http.MethodGet, nil)
	assert.Equal(t, []string{first.ID()}, jwksKids(t, before.body))
	again := jwksGet(t, h, http.MethodGet, nil)
	assert.Equal(t, before.header.Get("ETag"), again.header.Get("ETag"), "an unchanged set keeps its ETag")

	second := jwksGenKey(t, jwt.EdDSA)
	require.NoError(t, ks.Rotate(second))
	rotated := jwksGet(t, h, http.MethodGet, map[string]string{"If-None-Match": before.header.Get("ETag")})
	require.Equal(t, http.StatusOK, rotated.status, "a client holding the old document gets the new one")
	assert.NotEqual(t, before.header.Get("ETag"), rotated.header.Get("ETag"))
	assert.ElementsMatch(t, []string{first.ID(), second.ID()}, jwksKids(t, rotated.body))

	require.NoError(t, ks.Retire(first.ID()))
	retired := jwksGet(t, h, http.MethodGet, nil)
	assert.Equal(t, []string{second.ID()}, jwksKids(t, retired.body))
	assert.NotContains(t, string(retired.body), first.ID())
	assert.NotEqual(t, rotated.header.Get("ETag"), retired.header.Get("ETag"))
}

func TestJWKSHandlerConcurrentWithRotation(t *testing.T) {
	ks, err := jwt.NewKeySet(jwksGenKey(t, jwt.ES256))
	require.NoError(t, err)
	h := jwt.JWKSHandler(ks)
	next := make([]*jwt.Key, 8)
	for i := range next {
		next[i] = jwksGenKey(t, jwt.ES256)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range next {
			if err := ks.Rotate(k); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 50 {
		res := jwksGet(t, h, http.MethodGet, nil)
		require.Equal(t, http.StatusOK, res.status)
		_, err := jwt.ParseKeySet(res.body)
		require.NoError(t, err)
	}
	<-done
	final := jwksGet(t, h, http.MethodGet, nil)
	assert.Len(t, jwksKids(t, final.body), 9)
}

func TestJWKSHandlerNilKeySet(t *testing.T) {
	res := jwksGet(t, jwt.JWKSHandler(nil), http.MethodGet, nil)
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.False(t, strings.Contains(string(res.body), "keys"))
}

// The issuer publishes its keys; another service verifies with RemoteKeys.
// (Plain http is allowed here only because the server is on loopback.)
func ExampleJWKSHandler() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC) }

	// The issuing service.
	signing, _ := jwt.GenerateKey(jwt.ES256)
	keys, _ := jwt.NewKeySet(signing)
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(now))
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", jwt.JWKSHandler(keys))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The verifying service.
	remote, err := jwt.NewRemoteKeys(ctx, srv.URL+"/.well-known/jwks.json", jwt.WithRemoteClock(now))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer remote.Close()
	verifier, _ := jwt.NewVerifier(remote, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(now))

	tok, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice"})
	claims, err := verifier.Verify(ctx, tok.Raw)
	fmt.Println(claims.Subject, err)

	_, err = jwt.NewRemoteKeys(ctx, "http://auth.example.com/.well-known/jwks.json")
	fmt.Println(errors.Is(err, jwt.ErrInvalidOption))
	// Output:
	// alice <nil>
	// true
}

// The whole path between two services: JWKSHandler on the issuer,
// RemoteKeys in a caching verifier, through a rotation and a retirement.
func TestJWKSEndToEndRotation(t *testing.T) {
	clock := jwttest.NewClock(jwttest.StartTime())
	old := jwksGenKey(t, jwt.ES256)
	ks, err := jwt.NewKeySet(old)
	require.NoError(t, err)
	issuer, err := jwt.NewIssuer(ks, jwt.WithIssuer(jwttest.IssuerID), jwt.WithAudience(jwttest.AudienceID), jwt.WithClock(clock.Now))
	require.NoError(t, err)
	var hits atomic.Int64
	jwks := jwt.JWKSHandler(ks)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		jwks.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	remote, err := jwt.NewRemoteKeys(t.Context(), srv.URL, jwt.WithHTTPClient(srv.Client()), jwt.WithRemoteClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = remote.Close() })
	verifier, err := jwt.NewVerifier(remote, jwt.WithIssuer(jwttest.IssuerID), jwt.WithAudience(jwttest.AudienceID),
		jwt.WithClock(clock.Now), jwt.WithCache(100))
	require.NoError(t, err)
	verify := func(tok *jwt.Token) error {
		_, err := verifier.Verify(t.Context(), tok.Raw)
		return err
	}

	first, err := issuer.Issue(t.Context(), jwt.Claims{Subject: "alice"})
	require.NoError(t, err)
	require.NoError(t, verify(first))
	require.NoError(t, verify(first), "cached")

	// Rotate: the new key signs at once; the verifier finds it through one
	// unknown-kid refresh (after the rate limit's interval).
	next := jwksGenKey(t, jwt.EdDSA)
	require.NoError(t, ks.Rotate(next))
	clock.Advance(jwt.DefaultMinRefreshInterval)
	second, err := issuer.Issue(t.Context(), jwt.Claims{Subject: "bob"})
	require.NoError(t, err)
	require.NoError(t, verify(second))
	require.NoError(t, verify(first), "the old key still verifies until retired")
	assert.EqualValues(t, 2, hits.Load())

	// Retire: once the verifier's set is refreshed, the old key's tokens
	// fail, cached or not.
	require.NoError(t, ks.Retire(old.ID()))
	clock.Advance(jwt.DefaultRefreshInterval)
	require.NoError(t, remote.Refresh(t.Context()))
	assert.ErrorIs(t, verify(first), jwt.ErrUnknownKey)
	require.NoError(t, verify(second))
	assert.EqualValues(t, 3, hits.Load())
}

func BenchmarkJWKSHandler(b *testing.B) {
	k, err := jwt.GenerateKey(jwt.ES256)
	require.NoError(b, err)
	ks, err := jwt.NewKeySet(k)
	require.NoError(b, err)
	h := jwt.JWKSHandler(ks)
	for _, etag := range []bool{false, true} {
		b.Run(fmt.Sprintf("if-none-match=%v", etag), func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/jwks.json", nil)
			if etag {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
			}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
