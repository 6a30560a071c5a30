package jwt_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/jwt/jwttest"
)

// mwNext is the protected handler: it counts its calls and echoes the
// subject it finds in the context.
type mwNext struct{ calls atomic.Int64 }

func (n *mwNext) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.calls.Add(1)
	c, ok := jwt.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusTeapot)
		return
	}
	_, _ = w.Write([]byte(c.Subject))
}

func mwServe(h http.Handler, authorization ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mwRevoker revokes the subjects it lists; with err set, it cannot answer.
type mwRevoker struct {
	subjects map[string]bool
	err      error
}

func (r *mwRevoker) IsRevoked(_ context.Context, c *jwt.Claims) (bool, error) {
	return r.subjects[c.Subject], r.err
}

var invalidTokenChallenge = regexp.MustCompile(`^Bearer error="invalid_token", error_description="[a-zA-Z' ]+"$`)

func TestMiddlewareAcceptsValidBearer(t *testing.T) {
	p := jwttest.New(t)
	next := &mwNext{}
	h := p.Verifier.Middleware(next)
	tok := p.Token(t, jwt.Claims{Subject: "alice"})

	for _, auth := range []string{"Bearer " + tok, "bearer " + tok, "BEARER " + tok, "bEaReR " + tok, "Bearer   " + tok} {
		rec := mwServe(h, auth)
		require.Equal(t, http.StatusOK, rec.Code, auth[:10])
		assert.Equal(t, "alice", rec.Body.String())
		assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
	}
	assert.EqualValues(t, 5, next.calls.Load())
}

func TestMiddlewareWithoutBearerToken(t *testing.T) {
	p := jwttest.New(t)
	next := &mwNext{}
	h := p.Verifier.Middleware(next)
	tok := p.Token(t, jwt.Claims{Subject: "alice"})

	tests := map[string][]string{
		"no Authorization header": nil,
		"Basic credentials":       {"Basic YWxpY2U6c2VjcmV0"},
		"scheme only, other":      {"Digest"},
		"token without scheme":    {tok},
		"Bearer glued to token":   {"Bearer" + tok},
		"tab instead of a space":  {"Bearer\t" + tok},
	}
	for name, auth := range tests {
		t.Run(name, func(t *testing.T) {
			rec := mwServe(h, auth...)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"), "RFC 6750 §3.1: no error code without credentials")
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}

	t.Run("token in the query is not read", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/orders?access_token="+tok, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
	})
	assert.Zero(t, next.calls.Load())
}

func TestMiddlewareRefusesInvalidTokens(t *testing.T) {
	revoker := &mwRevoker{subjects: map[string]bool{"mallory": true}}
	p := jwttest.New(t, jwttest.WithVerifierOptions(jwt.WithRevocation(revoker)))
	other := jwttest.New(t, jwttest.WithClock(p.Clock))
	next := &mwNext{}
	h := p.Verifier.Middleware(next)

	good := p.Token(t, jwt.Claims{Subject: "alice"})
	parts := strings.Split(good, ".")
	expired := p.Token(t, jwt.Claims{Subject: "alice"})
	p.Clock.Advance(jwt.DefaultTTL + jwt.DefaultLeeway + time.Second)
	good = p.Token(t, jwt.Claims{Subject: "alice"})
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	otherAud := p.Token(t, jwt.Claims{Subject: "alice", Audience: []string{"https://elsewhere.example"}})
	revoked := p.Token(t, jwt.Claims{Subject: "mallory"})
	injected := `<script>alert("x")</script>`

	tests := []struct {
		name string
		auth []string
		desc string
	}{
		{"expired", []string{"Bearer " + expired}, "expired"},
		{"bad signature", []string{"Bearer " + forged}, "signature"},
		{"another issuer's key", []string{"Bearer " + other.Token(t, jwt.Claims{Subject: "alice"})}, "key"},
		{"another audience", []string{"Bearer " + otherAud}, "not meant for this service"},
		{"revoked", []string{"Bearer " + revoked}, "revoked"},
		{"garbage token", []string{"Bearer not-a-jwt"}, "malformed"},
		{"the whole b64token charset, not a JWT", []string{"Bearer aZ09-._~+/=="}, "malformed"},
		{"too large", []string{"Bearer " + strings.Repeat("a", 9<<10)}, "too large"},
		{"empty token", []string{"Bearer "}, "one bearer token"},
		{"scheme only", []string{"Bearer"}, "one bearer token"},
		{"two tokens", []string{"Bearer " + good + " " + good}, "one bearer token"},
		{"trailing space", []string{"Bearer " + good + " "}, "one bearer token"},
		{"comma list", []string{"Bearer " + good + ",Bearer " + good}, "one bearer token"},
		{"outside the b64token charset", []string{"Bearer " + injected}, "one bearer token"},
		{"padding inside", []string{"Bearer ab=cd"}, "one bearer token"},
		{"two Authorization headers", []string{"Bearer " + good, "Bearer " + good}, "more than one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := mwServe(h, tc.auth...)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			challenge := rec.Header().Get("WWW-Authenticate")
			assert.Regexp(t, invalidTokenChallenge, challenge, "fixed text only")
			assert.Contains(t, challenge, tc.desc)
			assert.NotContains(t, challenge, "alert")
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.NotContains(t, rec.Body.String(), "alice")
		})
	}
	assert.Zero(t, next.calls.Load(), "a refused request never reaches the handler")

	rec := mwServe(h, "Bearer "+good)
	assert.Equal(t, http.StatusOK, rec.Code, "the control: a good token passes")
}

func TestMiddlewareFailsClosedOnRevocationError(t *testing.T) {
	p := jwttest.New(t, jwttest.WithVerifierOptions(jwt.WithRevocation(&mwRevoker{err: errors.New("store down")})))
	next := &mwNext{}
	rec := mwServe(p.Verifier.Middleware(next), p.Bearer(t, jwt.Claims{Subject: "alice"}))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Regexp(t, invalidTokenChallenge, rec.Header().Get("WWW-Authenticate"))
	assert.NotContains(t, rec.Header().Get("WWW-Authenticate"), "store down")
	assert.Zero(t, next.calls.Load())
}

type mwDownKeys struct{}

func (mwDownKeys) VerificationKey(context.Context, string) (*jwt.Key, error) {
	return nil, jwt.ErrKeySource
}

func TestMiddlewareKeySourceOutage(t *testing.T) {
	p := jwttest.New(t)
	v, err := jwt.NewVerifier(mwDownKeys{}, jwt.WithIssuer(jwttest.IssuerID), jwt.WithAudience(jwttest.AudienceID), jwt.WithClock(p.Clock.Now))
	require.NoError(t, err)
	next := &mwNext{}
	rec := mwServe(v.Middleware(next), p.Bearer(t, jwt.Claims{Subject: "alice"}))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "not the token's fault: no invalid_token")
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Zero(t, next.calls.Load())
}

func TestMiddlewareNilArguments(t *testing.T) {
	p := jwttest.New(t)
	var nilVerifier *jwt.Verifier
	rec := mwServe(nilVerifier.Middleware(&mwNext{}), p.Bearer(t, jwt.Claims{Subject: "alice"}))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	rec = mwServe(p.Verifier.Middleware(nil), p.Bearer(t, jwt.Claims{Subject: "alice"}))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	rec = mwServe(jwt.RequireScope()(nil), p.Bearer(t, jwt.Claims{Subject: "alice"}))
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "no claims: refused before next is needed")
}

func TestRequireScope(t *testing.T) {
	p := jwttest.New(t)
	tests := []struct {
		name      string
		scope     string
		require   []string
		status    int
		challenge string
	}{
		{"one of several held", "orders:read orders:write", []string{"orders:read"}, http.StatusOK, ""},
		{"all held", "orders:read orders:write", []string{"orders:write", "orders:read"}, http.StatusOK, ""},
		{"nothing required", "", nil, http.StatusOK, ""},
		{"one missing", "orders:read", []string{"orders:read", "orders:write"}, http.StatusForbidden,
			`Bearer error="insufficient_scope", scope="orders:read orders:write"`},
		{"no scope at all", "", []string{"admin"}, http.StatusForbidden, `Bearer error="insufficient_scope", scope="admin"`},
		{"prefix is not the scope", "orders:readonly", []string{"orders:read"}, http.StatusForbidden,
			`Bearer error="insufficient_scope", scope="orders:read"`},
		{"case matters", "ADMIN", []string{"admin"}, http.StatusForbidden, `Bearer error="insufficient_scope", scope="admin"`},
		{"a quote in a required scope is escaped", "", []string{`a"b`}, http.StatusForbidden, `Bearer error="insufficient_scope", scope="a\"b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &mwNext{}
			h := p.Verifier.Middleware(jwt.RequireScope(tc.require...)(next))
			rec := mwServe(h, p.Bearer(t, jwt.Claims{Subject: "alice", Scope: tc.scope}))
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			if tc.status == http.StatusOK {
				assert.Equal(t, "alice", rec.Body.String())
				assert.EqualValues(t, 1, next.calls.Load())
			} else {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				assert.Zero(t, next.calls.Load())
			}
		})
	}

	t.Run("without the verifier middleware", func(t *testing.T) {
		next := &mwNext{}
		rec := mwServe(jwt.RequireScope("orders:read")(next), p.Bearer(t, jwt.Claims{Subject: "alice", Scope: "orders:read"}))
		assert.Equal(t, http.StatusUnauthorized, rec.Code, "claims come only from the context, never from the header")
		assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
		assert.Zero(t, next.calls.Load())
	})
	t.Run("the caller's slice is copied", func(t *testing.T) {
		scopes := []string{"orders:read"}
		mw := jwt.RequireScope(scopes...)
		scopes[0] = "nothing"
		rec := mwServe(p.Verifier.Middleware(mw(&mwNext{})), p.Bearer(t, jwt.Claims{Subject: "alice", Scope: "orders:read"}))
		assert.Equal(t, http.StatusOK, rec.Code)
	})
}

func TestContextClaims(t *testing.T) {
	_, ok := jwt.ClaimsFromContext(context.Background())
	assert.False(t, ok)
	_, ok = jwt.ClaimsFromContext(jwt.NewContext(context.Background(), nil))
	assert.False(t, ok, "nil claims are no claims")

	c := &jwt.Claims{Subject: "alice"}
	ctx := jwt.NewContext(context.Background(), c)
	got, ok := jwt.ClaimsFromContext(ctx)
	require.True(t, ok)
	assert.Same(t, c, got)

	type otherKey struct{}
	ctx = context.WithValue(ctx, otherKey{}, &jwt.Claims{Subject: "mallory"})
	got, _ = jwt.ClaimsFromContext(ctx)
	assert.Equal(t, "alice", got.Subject, "another key's value is not the claims")
}

func ExampleVerifier_Middleware() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC) }
	signing, _ := jwt.GenerateKey(jwt.ES256)
	keys, _ := jwt.NewKeySet(signing)
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(now))
	verifier, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(now))

	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwt.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", verifier.Middleware(jwt.RequireScope("orders:read")(orders)))

	call := func(authorization string) {
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			fmt.Println(rec.Code, rec.Body.String())
			return
		}
		fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	reader, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice", Scope: "orders:read"})
	other, _ := issuer.Issue(ctx, jwt.Claims{Subject: "bob", Scope: "profile"})
	call("Bearer " + reader.Raw)
	call("Bearer " + other.Raw)
	call("Bearer " + reader.Raw[:len(reader.Raw)-4] + "AAAA")
	call("")
	// Output:
	// 200 orders of alice
	// 403 Bearer error="insufficient_scope", scope="orders:read"
	// 401 Bearer error="invalid_token", error_description="the token's signature is invalid"
	// 401 Bearer
}

// The middleware's own cost beside Verify (cached, so that the signature
// check does not hide it).
func BenchmarkMiddleware(b *testing.B) {
	p := jwttest.New(b, jwttest.WithVerifierOptions(jwt.WithCache(16)))
	tok := p.Token(b, jwt.Claims{Subject: "alice", Scope: "orders:read"})
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()

	b.Run("path=Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Verifier.Verify(req.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=Middleware", func(b *testing.B) {
		h := p.Verifier.Middleware(ok)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
	b.Run("path=Middleware+RequireScope", func(b *testing.B) {
		h := p.Verifier.Middleware(jwt.RequireScope("orders:read")(ok))
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

// FuzzMiddlewareAuthorization: whatever the Authorization header holds,
// the middleware answers 401 (or 200 for the one real token) without
// panicking, and never echoes the header into its challenge.
func FuzzMiddlewareAuthorization(f *testing.F) {
	p := jwttest.New(f)
	tok := p.Token(f, jwt.Claims{Subject: "alice"})
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "Bearer " + tok, "bearer " + tok, "Bearer  " + tok, "Bearer " + tok + " ",
		"Basic YWxpY2U6c2VjcmV0", "Bearer a.b.c", "Bearer ====", "Bearer a=b", "Bearer \x00", "Bearer é",
		"Bearer " + tok + "\r\nX-Injected: 1", `Bearer "quoted"`,
	} {
		f.Add(seed)
	}
	next := &mwNext{}
	h := p.Verifier.Middleware(next)
	f.Fuzz(func(t *testing.T, auth string) {
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header["Authorization"] = []string{auth}
		rec := httptest.NewRecorder()
		before := next.calls.Load()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if next.calls.Load() != before+1 {
				t.Fatal("200 without calling next")
			}
		case http.StatusUnauthorized:
			challenge := rec.Header().Get("WWW-Authenticate")
			if challenge != "Bearer" && !invalidTokenChallenge.MatchString(challenge) {
				t.Fatalf("challenge %q", challenge)
			}
			if next.calls.Load() != before {
				t.Fatal("next called on a refusal")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
