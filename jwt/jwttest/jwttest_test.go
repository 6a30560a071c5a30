package jwttest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/jwt/jwttest"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	c := jwttest.NewClock(t0)
	assert.Equal(t, t0, c.Now())
	assert.Equal(t, t0, c.Now(), "the clock stands still")
	c.Advance(90 * time.Second)
	assert.Equal(t, t0.Add(90*time.Second), c.Now())
	c.Advance(-time.Minute)
	assert.Equal(t, t0.Add(30*time.Second), c.Now())
	t1 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(t1)
	assert.Equal(t, t1, c.Now())
}

func TestClockConcurrent(t *testing.T) {
	c := jwttest.NewClock(jwttest.StartTime())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, jwttest.StartTime().Add(8*time.Second), c.Now())
}

func TestPairIssuesWhatItVerifies(t *testing.T) {
	for _, alg := range []jwt.Algorithm{jwt.ES256, jwt.ES384, jwt.EdDSA, jwt.RS256, jwt.PS256, jwt.HS256} {
		t.Run(string(alg), func(t *testing.T) {
			p := jwttest.New(t, jwttest.WithAlgorithm(alg))
			assert.Equal(t, alg, p.Key.Algorithm())
			c, err := p.Verifier.Verify(t.Context(), p.Token(t, jwt.Claims{Subject: "alice", Scope: "read"}))
			require.NoError(t, err)
			assert.Equal(t, "alice", c.Subject)
			assert.Equal(t, jwttest.IssuerID, c.Issuer)
			assert.Equal(t, []string{jwttest.AudienceID}, c.Audience)
			assert.Equal(t, jwttest.StartTime(), c.IssuedAt, "the fake clock is wired into the issuer")
			assert.Equal(t, jwttest.StartTime().Add(jwt.DefaultTTL), c.ExpiresAt)
			assert.True(t, c.HasScope("read"))
		})
	}
}

func TestPairClockDrivesExpiry(t *testing.T) {
	p := jwttest.New(t)
	tok := p.Token(t, jwt.Claims{Subject: "alice"})
	p.Clock.Advance(jwt.DefaultTTL + jwt.DefaultLeeway + time.Second)
	c, err := p.Verifier.Verify(t.Context(), tok)
	assert.ErrorIs(t, err, jwt.ErrExpired)
	assert.Nil(t, c)
}

func TestPairsDoNotTrustEachOther(t *testing.T) {
	a, b := jwttest.New(t), jwttest.New(t)
	_, err := b.Verifier.Verify(t.Context(), a.Token(t, jwt.Claims{Subject: "alice"}))
	assert.ErrorIs(t, err, jwt.ErrUnknownKey, "a fresh key per pair")
}

func TestPairSharedClockAndOptions(t *testing.T) {
	clock := jwttest.NewClock(time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC))
	p := jwttest.New(t,
		jwttest.WithClock(clock),
		jwttest.WithIssuerOptions(jwt.WithTTL(time.Minute)),
		jwttest.WithVerifierOptions(jwt.WithLeeway(0)),
	)
	assert.Same(t, clock, p.Clock)
	tok := p.Token(t, jwt.Claims{Subject: "alice"})
	clock.Advance(time.Minute)
	_, err := p.Verifier.Verify(t.Context(), tok)
	assert.ErrorIs(t, err, jwt.ErrExpired, "TTL one minute, no leeway")
}

func TestPairRotate(t *testing.T) {
	p := jwttest.New(t)
	old := p.Key
	before := p.Token(t, jwt.Claims{Subject: "alice"})
	next := p.Rotate(t)
	assert.Same(t, next, p.Key)
	assert.NotEqual(t, old.ID(), next.ID())
	after := p.Token(t, jwt.Claims{Subject: "alice"})
	for _, tok := range []string{before, after} {
		_, err := p.Verifier.Verify(t.Context(), tok)
		require.NoError(t, err)
	}
	require.NoError(t, p.Keys.Retire(old.ID()))
	_, err := p.Verifier.Verify(t.Context(), before)
	assert.ErrorIs(t, err, jwt.ErrUnknownKey)
}

func TestPairBearerThroughMiddleware(t *testing.T) {
	p := jwttest.New(t)
	h := p.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwt.ClaimsFromContext(r.Context())
		_, _ = fmt.Fprint(w, c.Subject)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", p.Bearer(t, jwt.Claims{Subject: "alice"}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "alice", rec.Body.String())
}

// fatalTB records a fatal failure the way testing.T does: it stops the
// goroutine that called Fatal.
type fatalTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalTB) Helper()                  {}
func (f *fatalTB) Context() context.Context { return context.Background() }
func (f *fatalTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func runTB(fn func(testing.TB)) *fatalTB {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb
}

func TestHelpersFailTheTest(t *testing.T) {
	tests := map[string]func(testing.TB){
		"unknown algorithm": func(tb testing.TB) { jwttest.New(tb, jwttest.WithAlgorithm("none")) },
		"nil clock":         func(tb testing.TB) { jwttest.New(tb, jwttest.WithClock(nil)) },
		"nil option":        func(tb testing.TB) { jwttest.New(tb, nil) },
		"issuer refuses a verifier option": func(tb testing.TB) {
			jwttest.New(tb, jwttest.WithIssuerOptions(jwt.AnyAudience()))
		},
		"verifier refuses an issuer option": func(tb testing.TB) {
			jwttest.New(tb, jwttest.WithVerifierOptions(jwt.WithTTL(time.Minute)))
		},
		"token with a registered name in Extra": func(tb testing.TB) {
			p := jwttest.New(t)
			p.Token(tb, jwt.Claims{Subject: "alice", Extra: map[string]any{"iss": "evil"}})
		},
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			tb := runTB(fn)
			assert.True(t, tb.failed, "the helper did not fail the test")
			assert.Contains(t, tb.msg, "jwt")
		})
	}

	ok := runTB(func(tb testing.TB) {
		p := jwttest.New(tb)
		p.Token(tb, jwt.Claims{Subject: "alice"})
	})
	assert.False(t, ok.failed, ok.msg)
}
