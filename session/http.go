package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

type ctxKey struct{}

type ctxValue struct {
	s   *Session
	err error // why there is no usable session (nil: no cookie)
}

// NewContext returns a copy of ctx carrying s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{s: s})
}

// FromContext returns the session Middleware loaded for this request. A
// session with StepUpRequired set is returned too (so a re-authentication
// handler knows who is asking); Require refuses it.
func FromContext(ctx context.Context) (*Session, bool) {
	v, ok := ctx.Value(ctxKey{}).(ctxValue)
	return v.s, ok && v.s != nil
}

func failureFromContext(ctx context.Context) error {
	v, _ := ctx.Value(ctxKey{}).(ctxValue)
	return v.err
}

func (m *Manager) cookieWith(value string) *http.Cookie {
	c := m.cookie
	c.Value = value
	return &c
}

func (m *Manager) setCookie(w http.ResponseWriter, token string) {
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, m.cookieWith(token))
}

func (m *Manager) clearCookie(w http.ResponseWriter) {
	c := m.cookieWith("")
	c.MaxAge = -1 // Max-Age=0
	c.Expires = time.Unix(0, 0)
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, c)
}

func (m *Manager) tokenFrom(r *http.Request) (string, bool) {
	c, err := r.Cookie(m.cookie.Name)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// Login starts a fresh session for userID and sets the cookie (with
// Cache-Control: no-store). It never reuses the session the request carried:
// if that cookie held a valid token, its session is ended first (session
// fixation defence; a planted or stale cookie cannot become the new login).
// Call it after the credentials have been checked.
func (m *Manager) Login(w http.ResponseWriter, r *http.Request, userID string) (*Session, error) {
	ctx := r.Context()
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	if err := m.endByToken(ctx, r, "login"); err != nil {
		return nil, err
	}
	s, token, err := m.Create(ctx, userID, ClientInfoFromRequest(r, m.proxies...))
	if err != nil {
		return nil, err
	}
	m.setCookie(w, token)
	return s, nil
}

// RenewCookie is Renew for the request's cookie: the session gets a new
// secret and the response a new cookie (with Cache-Control: no-store). Call
// it when the user's privileges change within a session.
func (m *Manager) RenewCookie(w http.ResponseWriter, r *http.Request) error {
	return m.rekeyCookie(w, r, false)
}

// ReauthenticateCookie is Reauthenticate for the request's cookie: call it
// once the user has proved their identity again (password, second factor);
// the response carries the new cookie.
func (m *Manager) ReauthenticateCookie(w http.ResponseWriter, r *http.Request) error {
	return m.rekeyCookie(w, r, true)
}

func (m *Manager) rekeyCookie(w http.ResponseWriter, r *http.Request, reauth bool) error {
	token, ok := m.tokenFrom(r)
	if !ok {
		return ErrNotFound
	}
	token, err := m.rekey(r.Context(), token, reauth)
	if err != nil {
		return err
	}
	m.setCookie(w, token)
	return nil
}

// Logout ends the request's session (and its access tokens, with a Revoker)
// and expires the cookie, with Clear-Site-Data: "cookies" and Cache-Control:
// no-store. The cookie is expired even when the session was already gone or
// the store failed; the error says so.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	err := m.endByToken(r.Context(), r, "logout")
	m.clearCookie(w)
	w.Header().Set("Clear-Site-Data", `"cookies"`)
	return err
}

// endByToken ends the session of the request's cookie, but only if the
// cookie proves it with the right secret: a session ID alone is public.
func (m *Manager) endByToken(ctx context.Context, r *http.Request, reason string) error {
	token, ok := m.tokenFrom(r)
	if !ok {
		return nil
	}
	now := m.clock()
	rec, _, err := m.lookup(ctx, now, token)
	switch {
	case err == nil:
		err = m.end(ctx, now, rec.ID, rec.UserID, reason)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrInvalidToken):
		return nil
	default:
		return err
	}
}

// Middleware loads the session of the request's cookie, if any, into the
// request context (FromContext). It lets every request through: Require and
// RequireRecentAuth guard the routes that need a session. A cookie whose
// session is invalid, expired or terminated is expired in the response. A
// store failure is kept in the context so that Require answers 503 rather
// than pretending the user is logged out.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := m.tokenFrom(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		s, err := m.Validate(ctx, token, ClientInfoFromRequest(r, m.proxies...))
		switch {
		case err == nil, errors.Is(err, ErrStepUpRequired):
			ctx = context.WithValue(ctx, ctxKey{}, ctxValue{s: s, err: err})
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrInvalidToken), errors.Is(err, ErrAnomaly):
			m.clearCookie(w)
			ctx = context.WithValue(ctx, ctxKey{}, ctxValue{err: err})
		default:
			m.log.LogAttrs(ctx, slog.LevelError, "session: validation failed", slog.Any("error", err))
			ctx = context.WithValue(ctx, ctxKey{}, ctxValue{err: err})
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Require answers 401 to requests without a valid session, 403 when the
// session waits for step-up, and 503 when the store failed. It needs
// Middleware in front of it.
func (m *Manager) Require(next http.Handler) http.Handler {
	return m.RequireRecentAuth(0)(next)
}

// RequireRecentAuth is Require for high-risk routes: it also answers 403
// unless the session's last authentication is at most maxAge old (0: any
// age; a negative maxAge always asks for step-up). The client is then expected to re-authenticate; the handler that
// checks the credentials calls Reauthenticate.
func (m *Manager) RequireRecentAuth(maxAge time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, ok := FromContext(r.Context())
			switch {
			case !ok:
				if err := failureFromContext(r.Context()); err != nil && !isClientError(err) {
					http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
					return
				}
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			case s.StepUpRequired || maxAge < 0 || maxAge > 0 && m.clock().Sub(s.AuthenticatedAt) > maxAge:
				// A negative maxAge is a mistake; it fails closed (always
				// step-up) rather than open (any age).
				http.Error(w, "step-up authentication required", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func isClientError(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrExpired) || errors.Is(err, ErrInvalidToken) ||
		errors.Is(err, ErrAnomaly) || errors.Is(err, ErrStepUpRequired)
}
