package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/jwt/jwttest"
)

type client struct {
	t    *testing.T
	srv  *httptest.Server
	http *http.Client
}

func (c *client) do(method, path, bearer string, form url.Values) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		c.t.Logf("%s %s: %d %s %s", method, path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

func newClient(t *testing.T, h http.Handler) *client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, srv: srv, http: &http.Client{Jar: jar}}
}

// runHybridFlow drives the whole story of the example through HTTP.
func runHybridFlow(t *testing.T, cfg config) {
	clock := jwttest.NewClock(time.Now())
	cfg.now, cfg.insecureCookie = clock.Now, true
	cfg.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	c := newClient(t, a.Handler())
	// The blocklist replica judges its freshness by the same clock: after a
	// jump it fails closed until its next poll (real time, under a second).
	advance := func(d time.Duration) {
		clock.Advance(d)
		require.Eventually(t, func() bool {
			_, err := a.revoked.IsRevoked(context.Background(), &jwt.Claims{ID: "probe", ExpiresAt: clock.Now().Add(time.Minute)})
			return err == nil
		}, 5*time.Second, 10*time.Millisecond)
	}

	code, _ := c.do("POST", "/login", "", url.Values{"user": {"alice"}, "password": {"wrong"}})
	require.Equal(t, http.StatusUnauthorized, code)

	code, login := c.do("POST", "/login", "", url.Values{"user": {"alice"}, "password": {"wonderland"}})
	require.Equal(t, http.StatusOK, code)
	access, refresh := login["access_token"].(string), login["refresh_token"].(string)

	// Low risk: the JWT alone; its sid is the session's ID.
	code, profile := c.do("GET", "/api/profile", access, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "alice", profile["sub"])
	code, _ = c.do("GET", "/api/profile", "", nil)
	require.Equal(t, http.StatusUnauthorized, code)

	// High risk: the session cookie, with a recent login.
	code, paid := c.do("POST", "/payments", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, profile["sid"], paid["session"], "the access token carries the session's ID")
	code, _ = c.do("POST", "/payments", access, nil) // a bearer token is not a session
	require.Equal(t, http.StatusOK, code, "the cookie still rides along")

	// Six minutes later: the access token has expired, the payment needs step-up.
	advance(6 * time.Minute)
	code, _ = c.do("GET", "/api/profile", access, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = c.do("POST", "/payments", "", nil)
	require.Equal(t, http.StatusForbidden, code, "step-up required")
	code, _ = c.do("POST", "/account/reauth", "", url.Values{"password": {"wonderland"}})
	require.Equal(t, http.StatusNoContent, code)
	code, _ = c.do("POST", "/payments", "", nil)
	require.Equal(t, http.StatusOK, code)

	// Refresh: a new pair; the old refresh token is consumed.
	code, pair := c.do("POST", "/token", "", url.Values{"refresh_token": {refresh}})
	require.Equal(t, http.StatusOK, code)
	access2, refresh2 := pair["access_token"].(string), pair["refresh_token"].(string)
	require.NotEqual(t, refresh, refresh2)
	code, _ = c.do("GET", "/api/profile", access2, nil)
	require.Equal(t, http.StatusOK, code)

	// The old refresh token again, after the grace period: reuse. The family
	// is revoked, its live access token dies, and so does the session.
	advance(10 * time.Second)
	code, _ = c.do("POST", "/token", "", url.Values{"refresh_token": {refresh}})
	require.Equal(t, http.StatusBadRequest, code)
	code, _ = c.do("POST", "/token", "", url.Values{"refresh_token": {refresh2}})
	require.Equal(t, http.StatusBadRequest, code, "the newest token of a revoked family is refused too")
	require.Eventually(t, func() bool {
		code, _ := c.do("GET", "/api/profile", access2, nil)
		return code == http.StatusUnauthorized
	}, 5*time.Second, 10*time.Millisecond, "the revoked family's access token must die")
	code, _ = c.do("POST", "/payments", "", nil)
	require.Equal(t, http.StatusUnauthorized, code, "reuse ends the session too")

	// Log in again, then log out: the session and its JWTs end at once.
	code, login = c.do("POST", "/login", "", url.Values{"user": {"alice"}, "password": {"wonderland"}})
	require.Equal(t, http.StatusOK, code)
	access3 := login["access_token"].(string)
	code, _ = c.do("GET", "/api/profile", access3, nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = c.do("POST", "/logout", "", url.Values{"refresh_token": {login["refresh_token"].(string)}})
	require.Equal(t, http.StatusNoContent, code)
	code, _ = c.do("POST", "/payments", "", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Eventually(t, func() bool {
		code, _ := c.do("GET", "/api/profile", access3, nil)
		return code == http.StatusUnauthorized
	}, 5*time.Second, 10*time.Millisecond, "logout must revoke the session's access tokens")

	code, jwks := c.do("GET", "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, jwks["keys"], 1)
}

func TestHybridInMemory(t *testing.T) {
	runHybridFlow(t, config{})
}

func TestHybridRedis(t *testing.T) {
	runHybridFlow(t, config{redis: redistest.Start(t).Client()})
}
