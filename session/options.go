package session

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Revoker revokes the access tokens (JWTs) that carry a session's ID as their
// sid claim, so that killing a session also kills them. *blocklist.List
// satisfies it. RevokeSession must be idempotent and safe for concurrent use;
// an error means the tokens may still be valid.
type Revoker interface {
	RevokeSession(ctx context.Context, sid string) error
}

// Option configures a Manager. An invalid option makes NewManager fail.
type Option func(*config) error

type config struct {
	idle, absolute, touch time.Duration
	limit                 Limit
	cookie                http.Cookie
	policy                AnomalyPolicy
	geo                   GeoResolver
	revoker               Revoker
	events                func(context.Context, Event)
	now                   func() time.Time
	log                   *slog.Logger
	proxies               []netip.Prefix
	insecureCookie        bool
}

func defaults() config {
	return config{
		idle:     30 * time.Minute,
		absolute: 12 * time.Hour,
		touch:    time.Minute,
		cookie: http.Cookie{
			Name: "__Host-session", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		},
		policy: DefaultAnomalyPolicy(),
		now:    time.Now,
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// WithIdleTimeout ends a session after d without use. Default: 30m.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: idle timeout %v", ErrInvalidOption, d)
		}
		c.idle = d
		return nil
	}
}

// WithAbsoluteTimeout ends a session d after its creation, however active;
// nothing extends it, not Renew, not Reauthenticate. Default: 12h. It must not
// be shorter than the idle timeout.
func WithAbsoluteTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: absolute timeout %v", ErrInvalidOption, d)
		}
		c.absolute = d
		return nil
	}
}

// WithTouchInterval sets how stale LastSeenAt may grow before Validate writes
// to the store: within the interval Validate is a single read. The price is
// precision: a session may idle out up to d earlier than the idle timeout
// after its last request. Default: 1m. 0 writes on every Validate. It must be
// shorter than the idle timeout.
func WithTouchInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: touch interval %v", ErrInvalidOption, d)
		}
		c.touch = d
		return nil
	}
}

// WithMaxSessions caps the live sessions of one user at n, enforced
// atomically by the store: EvictOldest drops the oldest to make room,
// RejectNew fails Create with ErrLimitReached. Default: no limit.
func WithMaxSessions(n int, policy LimitPolicy) Option {
	return func(c *config) error {
		if n <= 0 || (policy != EvictOldest && policy != RejectNew) {
			return fmt.Errorf("%w: max sessions %d with policy %v", ErrInvalidOption, n, policy)
		}
		c.limit = Limit{Max: n, Policy: policy}
		return nil
	}
}

// WithCookie sets the cookie Login, Logout and the middleware use. Name, Path,
// Domain, Secure, HttpOnly, SameSite and Partitioned are taken from tmpl;
// Value, Expires and MaxAge are ignored. Default: "__Host-session", Path=/,
// Secure, HttpOnly, SameSite=Lax, no Domain, no expiry (a browser-session
// cookie). A "__Host-" name requires Secure, Path=/ and no Domain; Secure and
// HttpOnly are required unless InsecureCookieForDevelopment follows.
func WithCookie(tmpl http.Cookie) Option {
	return func(c *config) error {
		if tmpl.Name == "" || tmpl.SameSite == http.SameSiteNoneMode && !tmpl.Secure {
			return fmt.Errorf("%w: cookie %q", ErrInvalidOption, tmpl.Name)
		}
		if tmpl.Path == "" {
			tmpl.Path = "/"
		}
		c.cookie = http.Cookie{
			Name: tmpl.Name, Path: tmpl.Path, Domain: tmpl.Domain, Secure: tmpl.Secure,
			HttpOnly: tmpl.HttpOnly, SameSite: tmpl.SameSite, Partitioned: tmpl.Partitioned,
		}
		return nil
	}
}

// InsecureCookieForDevelopment lets the cookie go without Secure and
// HttpOnly, for plain-http development servers. Never use it in production.
func InsecureCookieForDevelopment() Option {
	return func(c *config) error {
		c.insecureCookie = true
		return nil
	}
}

// WithAnomalyPolicy sets what happens when a session is used from another
// country, IP or User-Agent. Default: DefaultAnomalyPolicy.
func WithAnomalyPolicy(p AnomalyPolicy) Option {
	return func(c *config) error {
		p, err := p.withDefaults()
		if err != nil {
			return err
		}
		c.policy = p
		return nil
	}
}

// WithGeoResolver places client IPs in countries for the anomaly policy.
// Default: none, so SignalCountry never fires.
func WithGeoResolver(g GeoResolver) Option {
	return func(c *config) error {
		if g == nil {
			return fmt.Errorf("%w: nil GeoResolver", ErrInvalidOption)
		}
		c.geo = g
		return nil
	}
}

// WithRevoker makes every end of a session (Revoke, RevokeAll, RevokeOthers,
// Logout, eviction, anomaly termination) also revoke the session's access
// tokens through r. The session is removed from the store first, always; if
// r then fails, the method returns an error wrapping ErrRevoker (fail closed:
// the caller learns the tokens may live on and can retry). Revoke of a
// session already gone still calls r, so retrying Revoke completes the job;
// RevokeAll and RevokeOthers cannot be retried that way (the sessions are
// gone, so a second call finds none): their error names every session whose
// r call failed, to be retried with Revoke. The one exception is eviction by
// WithMaxSessions: a failure there is logged at error level and Create still
// succeeds, since the new login is not at fault. Default: none.
func WithRevoker(r Revoker) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: nil Revoker", ErrInvalidOption)
		}
		c.revoker = r
		return nil
	}
}

// WithEvents calls fn, synchronously, for every life-cycle event. fn must be
// quick and must not call back into the Manager for the same session.
func WithEvents(fn func(context.Context, Event)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil events callback", ErrInvalidOption)
		}
		c.events = fn
		return nil
	}
}

// WithClock sets the clock. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for life-cycle events and background failures.
// Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		c.log = l
		return nil
	}
}

// WithTrustedProxies lists the reverse proxies whose X-Forwarded-For the
// HTTP helpers (Login, Middleware) believe; see ClientInfoFromRequest.
// Default: none, so the client is the TCP peer.
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(c *config) error {
		for _, p := range prefixes {
			if !p.IsValid() {
				return fmt.Errorf("%w: trusted proxy prefix %v", ErrInvalidOption, p)
			}
		}
		c.proxies = append([]netip.Prefix(nil), prefixes...)
		return nil
	}
}

func (c *config) check() error {
	if c.absolute < c.idle {
		return fmt.Errorf("%w: absolute timeout %v shorter than idle timeout %v", ErrInvalidOption, c.absolute, c.idle)
	}
	if c.touch >= c.idle {
		return fmt.Errorf("%w: touch interval %v not shorter than idle timeout %v", ErrInvalidOption, c.touch, c.idle)
	}
	ck := c.cookie
	// Browsers match the prefixes case-insensitively and drop a cookie that
	// breaks their rules, so "__host-" gets the same checks as "__Host-".
	name := strings.ToLower(ck.Name)
	if strings.HasPrefix(name, "__host-") && (!ck.Secure || ck.Path != "/" || ck.Domain != "") {
		return fmt.Errorf("%w: a __Host- cookie needs Secure, Path=/ and no Domain", ErrInvalidOption)
	}
	if strings.HasPrefix(name, "__secure-") && !ck.Secure {
		return fmt.Errorf("%w: a __Secure- cookie needs Secure", ErrInvalidOption)
	}
	if (!ck.Secure || !ck.HttpOnly) && !c.insecureCookie {
		return fmt.Errorf("%w: cookie without Secure or HttpOnly needs InsecureCookieForDevelopment", ErrInvalidOption)
	}
	probe := ck
	probe.Value = "v"
	if err := probe.Valid(); err != nil {
		return fmt.Errorf("%w: cookie: %w", ErrInvalidOption, err)
	}
	return nil
}
