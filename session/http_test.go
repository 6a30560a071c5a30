package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
)

// app wires the helpers the way a service would.
func app(f *fixture) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.m.Login(w, r, r.FormValue("user")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := f.m.Logout(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.Handle("GET /me", f.m.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := session.FromContext(r.Context())
		fmt.Fprint(w, s.UserID)
	})))
	mux.Handle("POST /pay", f.m.RequireRecentAuth(5*time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "paid")
	})))
	mux.HandleFunc("POST /reauth", func(w http.ResponseWriter, r *http.Request) {
		// A real handler checks the password or second factor first.
		if err := f.m.ReauthenticateCookie(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("POST /promote", func(w http.ResponseWriter, r *http.Request) {
		if err := f.m.RenewCookie(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) {
		_, ok := session.FromContext(r.Context())
		fmt.Fprint(w, ok)
	})
	return f.m.Middleware(mux)
}

func do(t *testing.T, h http.Handler, method, target string, cookie *http.Cookie, remote string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = remote
	r.Header.Set("User-Agent", "Firefox/140")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func sessionCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "__Host-session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", res.Header.Values("Set-Cookie"))
	return nil
}

const home = "192.0.2.10:50000"

func TestLoginCookieAttributes(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	res := do(t, h, "POST", "/login?user=alice", nil, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	raw := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"__Host-session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		require.Contains(t, raw, attr)
	}
	for _, attr := range []string{"Domain", "Max-Age", "Expires"} {
		require.NotContains(t, raw, attr, "a browser-session cookie scoped to the host")
	}
	c := sessionCookie(t, res)
	s, err := f.m.Validate(f.ctx, c.Value, session.ClientInfo{IP: paris, UserAgent: "Firefox/140"})
	require.NoError(t, err)
	require.Equal(t, "alice", s.UserID)
	require.Equal(t, paris, s.IP)
}

func TestMiddlewareAndRequire(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))

	res := do(t, h, "GET", "/me", c, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "alice", body(t, res))

	res = do(t, h, "GET", "/me", nil, home)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, "false", body(t, do(t, h, "GET", "/public", nil, home)))

	// A garbage cookie is refused and expired.
	res = do(t, h, "GET", "/me", &http.Cookie{Name: "__Host-session", Value: "forged"}, home)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	cleared := sessionCookie(t, res)
	require.Equal(t, -1, cleared.MaxAge)
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"))

	// A cookie carrying a real session ID with a guessed secret gets nothing.
	forged := &http.Cookie{Name: "__Host-session", Value: c.Value[:49] + strings.Repeat("A", 43)}
	require.Equal(t, http.StatusUnauthorized, do(t, h, "GET", "/me", forged, home).StatusCode)
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", c, home).StatusCode)

	// Anomaly: the same cookie from another country ends the session.
	res = do(t, h, "GET", "/me", c, "198.51.100.20:1234")
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "GET", "/me", c, home).StatusCode)
}

func TestStoreFailureGives503NotLoggedOut(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	f.store.fail = errDown
	res := do(t, h, "GET", "/me", c, home)
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Empty(t, res.Cookies(), "the cookie is kept: the session may well be valid")
	require.Equal(t, "false", body(t, do(t, h, "GET", "/public", c, home)))
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	res := do(t, h, "POST", "/logout", c, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, `"cookies"`, res.Header.Get("Clear-Site-Data"))
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	cleared := sessionCookie(t, res)
	require.Equal(t, -1, cleared.MaxAge)
	require.Empty(t, cleared.Value)
	require.True(t, cleared.Secure && cleared.HttpOnly && cleared.Path == "/")
	require.Equal(t, http.StatusUnauthorized, do(t, h, "GET", "/me", c, home).StatusCode)
	require.Len(t, f.rec.revokedIDs(), 1)

	// Logging out without a session still clears the cookie.
	res = do(t, h, "POST", "/logout", nil, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, -1, sessionCookie(t, res).MaxAge)
}

// Login never adopts the session the request carried: a planted or old
// cookie is replaced, and if it was valid its session ends.
func TestLoginFixation(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	old := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	oldID := old.Value[:48]

	fresh := sessionCookie(t, do(t, h, "POST", "/login?user=alice", old, home))
	require.NotEqual(t, old.Value[:48], fresh.Value[:48], "a new session, not a renewed one")
	require.Equal(t, http.StatusUnauthorized, do(t, h, "GET", "/me", old, home).StatusCode)
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", fresh, home).StatusCode)
	require.Contains(t, f.rec.revokedIDs(), oldID)

	// A planted cookie naming someone else's session, without its secret,
	// does not end that session.
	victim := sessionCookie(t, do(t, h, "POST", "/login?user=victim", nil, home))
	planted := &http.Cookie{Name: "__Host-session", Value: victim.Value[:49] + strings.Repeat("A", 43)}
	sessionCookie(t, do(t, h, "POST", "/login?user=mallory", planted, home))
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", victim, home).StatusCode)
}

func TestRequireRecentAuth(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	require.Equal(t, http.StatusOK, do(t, h, "POST", "/pay", c, home).StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "POST", "/pay", nil, home).StatusCode)

	f.clock.Advance(6 * time.Minute)
	res := do(t, h, "POST", "/pay", c, home)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "authenticated too long ago")
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", c, home).StatusCode, "low-risk routes still work")

	token, err := f.m.Reauthenticate(f.ctx, c.Value)
	require.NoError(t, err)
	c2 := &http.Cookie{Name: c.Name, Value: token}
	require.Equal(t, http.StatusOK, do(t, h, "POST", "/pay", c2, home).StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "POST", "/pay", c, home).StatusCode, "the pre-step-up token is dead")
}

// A negative maxAge is a configuration mistake; it must not mean "any age".
func TestRequireRecentAuthNegativeMaxAgeFailsClosed(t *testing.T) {
	f := newFixture(t)
	c := sessionCookie(t, do(t, app(f), "POST", "/login?user=alice", nil, home))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := f.m.Middleware(f.m.RequireRecentAuth(-time.Minute)(ok))
	req := httptest.NewRequest("POST", "/pay", nil)
	req.RemoteAddr = home
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
}

func TestRequireRefusesPendingStepUp(t *testing.T) {
	f := newFixture(t, session.WithAnomalyPolicy(session.AnomalyPolicy{CountryChange: session.RequireStepUp}))
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	require.Equal(t, http.StatusForbidden, do(t, h, "GET", "/me", c, "198.51.100.20:1234").StatusCode)
	require.Equal(t, "true", body(t, do(t, h, "GET", "/public", c, home)), "the re-auth page still knows the session")
	require.Equal(t, http.StatusForbidden, do(t, h, "GET", "/me", c, home).StatusCode)
}

func TestClientInfoFromRequest(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"peer, no proxies", "192.0.2.1:443", nil, nil, "192.0.2.1"},
		{"XFF ignored without trusted proxies", "192.0.2.1:443", []string{"203.0.113.9"}, nil, "192.0.2.1"},
		{"XFF ignored from an untrusted peer", "192.0.2.1:443", []string{"203.0.113.9"}, proxies, "192.0.2.1"},
		{"one trusted proxy", "10.0.0.2:443", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"client-written entries are not believed", "10.0.0.2:443", []string{"1.1.1.1, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.2:443", []string{"198.51.100.7, 10.1.1.1", "10.2.2.2"}, proxies, "198.51.100.7"},
		{"all trusted", "10.0.0.2:443", []string{"10.9.9.9"}, proxies, "10.9.9.9"},
		{"garbage stops the walk", "10.0.0.2:443", []string{"203.0.113.9, garbage"}, proxies, "10.0.0.2"},
		{"spoofed trusted address left of the client", "10.0.0.2:443", []string{"10.0.0.9, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"spoofed entries in a separate header line", "10.0.0.2:443", []string{"198.51.100.1", "203.0.113.9"}, proxies, "203.0.113.9"},
		// Some proxies (Azure Application Gateway) write the client's port.
		{"entry with a port", "10.0.0.2:443", []string{"203.0.113.9:51234"}, proxies, "203.0.113.9"},
		{"IPv6 entry with a port", "10.0.0.2:443", []string{"[2001:db8::5]:51234"}, proxies, "2001:db8::5"},
		{"trusted entry with a port", "10.0.0.2:443", []string{"203.0.113.9, 10.1.1.1:80"}, proxies, "203.0.113.9"},
		{"IPv6 peer", "[fd00::1]:443", []string{"2001:db8::5"}, proxies, "2001:db8::5"},
		{"4in6 unmapped", "[::ffff:192.0.2.1]:443", nil, nil, "192.0.2.1"},
		{"no port", "192.0.2.1", nil, nil, "192.0.2.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			r.Header.Set("User-Agent", "ua")
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			ci := session.ClientInfoFromRequest(r, c.trusted...)
			require.Equal(t, netip.MustParseAddr(c.want), ci.IP)
			require.Equal(t, "ua", ci.UserAgent)
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "not an address"
	r.Header.Set("User-Agent", strings.Repeat("x", 5000))
	ci := session.ClientInfoFromRequest(r)
	require.False(t, ci.IP.IsValid())
	require.Len(t, ci.UserAgent, 512, "bounded")
}

func TestRenewAndReauthenticateCookie(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	res := do(t, h, "POST", "/promote", c, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	renewed := sessionCookie(t, res)
	require.Equal(t, c.Value[:48], renewed.Value[:48], "same session")
	require.NotEqual(t, c.Value, renewed.Value, "new secret")
	require.True(t, renewed.Secure && renewed.HttpOnly)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "GET", "/me", c, home).StatusCode)
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", renewed, home).StatusCode)

	f.clock.Advance(6 * time.Minute)
	require.Equal(t, http.StatusForbidden, do(t, h, "POST", "/pay", renewed, home).StatusCode)
	res = do(t, h, "POST", "/reauth", renewed, home)
	require.Equal(t, http.StatusOK, res.StatusCode)
	fresh := sessionCookie(t, res)
	require.Equal(t, http.StatusOK, do(t, h, "POST", "/pay", fresh, home).StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "POST", "/reauth", renewed, home).StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, h, "POST", "/reauth", nil, home).StatusCode)

	// Login with an invalid user ID fails before touching the current session.
	r := httptest.NewRequest("POST", "/", nil)
	r.AddCookie(fresh)
	_, err := f.m.Login(httptest.NewRecorder(), r, "")
	require.ErrorIs(t, err, session.ErrInvalidInput)
	require.Equal(t, http.StatusOK, do(t, h, "GET", "/me", fresh, home).StatusCode)
}

// Logout expires the cookie even when the store cannot end the session, and
// says so.
func TestLogoutWhenStoreFails(t *testing.T) {
	f := newFixture(t)
	h := app(f)
	c := sessionCookie(t, do(t, h, "POST", "/login?user=alice", nil, home))
	f.store.fail = errDown
	r := httptest.NewRequest("POST", "/logout", nil)
	r.AddCookie(c)
	w := httptest.NewRecorder()
	err := f.m.Logout(w, r)
	require.ErrorIs(t, err, session.ErrStore)
	res := w.Result()
	require.Equal(t, -1, sessionCookie(t, res).MaxAge)
	require.Equal(t, `"cookies"`, res.Header.Get("Clear-Site-Data"))
}
