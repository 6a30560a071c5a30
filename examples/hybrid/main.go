// Command hybrid is the server the Credence design recommends: JWT access
// tokens for the many low-risk routes, server-side sessions for the few
// high-risk ones (payments, account changes), rotating refresh tokens to
// renew access, and a blocklist so that ending a session or detecting a
// stolen refresh token kills the JWTs it minted at once.
//
//	go run ./examples/hybrid                      # in-memory stores
//	go run ./examples/hybrid -redis 127.0.0.1:6379 # shared Redis stores
//
// Then, for example:
//
//	curl -si -c jar -d user=alice -d password=wonderland localhost:8080/login
//	curl -s -H "Authorization: Bearer $ACCESS" localhost:8080/api/profile
//	curl -si -b jar -X POST localhost:8080/payments
//
// The demo serves plain HTTP on loopback, so it sends the session cookie
// without Secure (session.InsecureCookieForDevelopment). Serve TLS and drop
// that option in production.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/blocklist"
	blredis "github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	rotredis "github.com/credence-go/credence/rotation/redisstore"
	"github.com/credence-go/credence/session"
	sesredis "github.com/credence-go/credence/session/redisstore"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	redisAddr := flag.String("redis", "", "Redis address for shared stores (default: in-memory)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var rdb redis.UniversalClient
	if *redisAddr != "" {
		rdb = redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{*redisAddr}})
		defer rdb.Close()
	}
	app, err := newApp(ctx, config{redis: rdb, log: log, insecureCookie: true})
	if err != nil {
		log.Error("setup", "err", err)
		os.Exit(1)
	}
	defer app.Close()

	srv := &http.Server{Addr: *addr, Handler: app.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}

type config struct {
	redis          redis.UniversalClient // nil: in-memory stores
	log            *slog.Logger
	now            func() time.Time
	insecureCookie bool
	geo            session.GeoResolver
}

// app wires the four packages together.
type app struct {
	now       func() time.Time
	keys      *jwt.KeySet
	verifier  *jwt.Verifier
	revoked   *blocklist.List
	refresh   *rotation.Rotator
	sessions  *session.Manager
	passwords map[string]string
}

func newApp(ctx context.Context, cfg config) (*app, error) {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	key, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		return nil, err
	}
	keys, err := jwt.NewKeySet(key)
	if err != nil {
		return nil, err
	}
	const iss, aud = "https://hybrid.example", "hybrid-api"
	issuer, err := jwt.NewIssuer(keys, jwt.WithIssuer(iss), jwt.WithAudience(aud), jwt.WithTTL(5*time.Minute), jwt.WithClock(cfg.now))
	if err != nil {
		return nil, err
	}

	var (
		blStore  blocklist.Store = blocklist.NewMemoryStore()
		rotStore rotation.Store  = rotation.NewMemoryStore()
		sesStore session.Store   = session.NewMemoryStore()
	)
	if cfg.redis != nil {
		if blStore, err = blredis.New(cfg.redis); err != nil {
			return nil, err
		}
		if rotStore, err = rotredis.New(cfg.redis); err != nil {
			return nil, err
		}
		if sesStore, err = sesredis.New(cfg.redis); err != nil {
			return nil, err
		}
	}

	revoked, err := blocklist.New(blStore, blocklist.WithClock(cfg.now), blocklist.WithLogger(cfg.log))
	if err != nil {
		return nil, err
	}
	verifier, err := jwt.NewVerifier(keys, jwt.WithIssuer(iss), jwt.WithAudience(aud),
		jwt.WithRevocation(revoked), jwt.WithCache(10_000), jwt.WithClock(cfg.now))
	if err != nil {
		return nil, err
	}

	geo := cfg.geo
	if geo == nil {
		geo = session.NewStaticGeoResolver(map[netip.Prefix]string{
			netip.MustParsePrefix("127.0.0.0/8"): "ZZ", netip.MustParsePrefix("::1/128"): "ZZ",
		})
	}
	opts := []session.Option{
		session.WithMaxSessions(5, session.EvictOldest), session.WithGeoResolver(geo),
		session.WithRevoker(revoked), session.WithClock(cfg.now), session.WithLogger(cfg.log),
	}
	if cfg.insecureCookie {
		opts = append(opts, session.InsecureCookieForDevelopment())
	}
	sessions, err := session.NewManager(sesStore, opts...)
	if err != nil {
		return nil, err
	}
	// A real deployment loads this from its secret manager: every instance
	// must share it.
	macKey := make([]byte, 32)
	if _, err := rand.Read(macKey); err != nil {
		return nil, err
	}
	refresh, err := rotation.New(rotStore, issuer, rotation.WithMACKey(macKey), rotation.WithRevoker(revoked),
		rotation.WithGracePeriod(5*time.Second), rotation.WithClock(cfg.now), rotation.WithLogger(cfg.log),
		// A stolen refresh token also ends the session it belongs to: the
		// thief may hold its cookie too.
		rotation.WithEvents(func(ctx context.Context, e rotation.Event) {
			if e.Type == rotation.EventReuseDetected {
				if err := sessions.Revoke(ctx, e.SessionID); err != nil && !errors.Is(err, session.ErrNotFound) {
					cfg.log.Error("revoke session after refresh-token reuse", "err", err)
				}
			}
		}))
	if err != nil {
		return nil, err
	}

	return &app{
		now:  cfg.now,
		keys: keys, verifier: verifier, revoked: revoked, refresh: refresh, sessions: sessions,
		passwords: map[string]string{"alice": "wonderland", "bob": "builder"},
	}, nil
}

func (a *app) Close() error { return a.revoked.Close() }

// Handler routes: JWTs guard /api/, sessions guard /payments and /account/.
func (a *app) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", jwt.JWKSHandler(a.keys))
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /token", a.token)
	mux.Handle("POST /logout", a.sessions.Middleware(http.HandlerFunc(a.logout)))

	// Low risk: a signature check and an in-memory revocation check.
	mux.Handle("GET /api/profile", a.verifier.Middleware(jwt.RequireScope("profile:read")(http.HandlerFunc(a.profile))))

	// High risk: a session round trip, and a recent password for payments.
	recent := a.sessions.RequireRecentAuth(5 * time.Minute)
	mux.Handle("POST /payments", a.sessions.Middleware(recent(http.HandlerFunc(a.pay))))
	mux.Handle("POST /account/reauth", a.sessions.Middleware(a.sessions.Require(http.HandlerFunc(a.reauth))))
	mux.Handle("GET /account/sessions", a.sessions.Middleware(a.sessions.Require(http.HandlerFunc(a.listSessions))))
	return mux
}

func (a *app) checkPassword(user, password string) bool {
	want, ok := a.passwords[user]
	// Compare even for unknown users, so timing does not tell who exists.
	if !ok {
		want = "\x00unknown user"
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(password)) == 1 && ok
}

// login checks the password, starts a session (cookie) and a refresh-token
// family whose access tokens carry the session's ID as sid.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	user, password := r.PostFormValue("user"), r.PostFormValue("password")
	if !a.checkPassword(user, password) {
		httpError(w, http.StatusUnauthorized, "invalid_credentials")
		return
	}
	s, err := a.sessions.Login(w, r, user)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "session_unavailable")
		return
	}
	pair, err := a.refresh.Issue(r.Context(), jwt.Claims{Subject: user, SessionID: s.ID, Scope: "profile:read"})
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "token_unavailable")
		return
	}
	writeJSON(w, a.tokenResponse(pair))
}

// token exchanges a refresh token (RFC 6749 §6 style).
func (a *app) token(w http.ResponseWriter, r *http.Request) {
	pair, err := a.refresh.Refresh(r.Context(), r.PostFormValue("refresh_token"))
	switch {
	case err == nil:
		writeJSON(w, a.tokenResponse(pair))
	case errors.Is(err, rotation.ErrStore):
		httpError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
	default: // invalid, expired, revoked, reused: the client must log in again
		httpError(w, http.StatusBadRequest, "invalid_grant")
	}
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if rt := r.PostFormValue("refresh_token"); rt != "" {
		_ = a.refresh.Revoke(r.Context(), rt)
	}
	if err := a.sessions.Logout(w, r); err != nil && !errors.Is(err, session.ErrNotFound) {
		httpError(w, http.StatusServiceUnavailable, "session_unavailable")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) profile(w http.ResponseWriter, r *http.Request) {
	c, _ := jwt.ClaimsFromContext(r.Context())
	writeJSON(w, map[string]any{"sub": c.Subject, "sid": c.SessionID, "scope": c.Scope})
}

func (a *app) pay(w http.ResponseWriter, r *http.Request) {
	s, _ := session.FromContext(r.Context())
	writeJSON(w, map[string]any{"status": "accepted", "user": s.UserID, "session": s.ID})
}

func (a *app) reauth(w http.ResponseWriter, r *http.Request) {
	s, _ := session.FromContext(r.Context())
	if !a.checkPassword(s.UserID, r.PostFormValue("password")) {
		httpError(w, http.StatusUnauthorized, "invalid_credentials")
		return
	}
	if err := a.sessions.ReauthenticateCookie(w, r); err != nil {
		httpError(w, http.StatusServiceUnavailable, "session_unavailable")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) listSessions(w http.ResponseWriter, r *http.Request) {
	s, _ := session.FromContext(r.Context())
	list, err := a.sessions.List(r.Context(), s.UserID)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "session_unavailable")
		return
	}
	ids := make([]string, 0, len(list))
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	writeJSON(w, map[string]any{"sessions": ids})
}

func (a *app) tokenResponse(p *rotation.Pair) map[string]any {
	return map[string]any{
		"access_token": p.AccessToken, "token_type": "Bearer",
		"expires_in":    int(p.AccessExpiresAt.Sub(a.now()).Round(time.Second).Seconds()),
		"refresh_token": p.RefreshToken,
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}
