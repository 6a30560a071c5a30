package rotation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/credence-go/credence/jwt"
)

// Defaults.
const (
	DefaultRefreshTTL     = 14 * 24 * time.Hour
	DefaultFamilyLifetime = 30 * 24 * time.Hour
	// MaxGracePeriod bounds WithGracePeriod: a grace period is a window in
	// which a stolen just-rotated token still works, so it must stay short.
	MaxGracePeriod = 5 * time.Minute
	// MinKeySize is the minimum length of a server key (WithMACKey).
	MinKeySize = 32
)

// Option configures a Rotator.
type Option func(*config) error

type config struct {
	refreshTTL     time.Duration
	familyLifetime time.Duration
	grace          time.Duration
	revoker        Revoker
	events         func(context.Context, Event)
	now            func() time.Time
	logger         *slog.Logger
	refreshClaims  func(context.Context, jwt.Claims) (jwt.Claims, error)
	key            []byte
	previousKeys   [][]byte
}

// WithMACKey sets the server key the refresh tokens are authenticated with,
// and from which each successor token is derived. Required: New fails
// without it. Every instance serving the same store must use the same key
// (a per-process random default would make each instance refuse the
// others' tokens and log everyone out on restart, so there is none). Keep it
// in a secret manager; it never leaves the server and is not the JWT
// signing key.
//
// Each key must have at least 32 bytes (MinKeySize) from a CSPRNG. To roll
// a key without logging anyone out: first deploy the new key in previous
// everywhere, then make it the current key (with the old one in previous),
// and drop the old one after the family lifetime. Tokens verified under a
// previous key are exchanged for successors under the current key; a grace
// replay that reaches an instance whose current key differs from the one
// that rotated still gets the same successor (at the cost of a second
// store step).
func WithMACKey(key []byte, previous ...[]byte) Option {
	return func(c *config) error {
		if len(key) < MinKeySize {
			return fmt.Errorf("%w: MAC key has %d bytes, need at least %d", ErrInvalidOption, len(key), MinKeySize)
		}
		c.key = append([]byte(nil), key...)
		c.previousKeys = nil
		for i, p := range previous {
			if len(p) < MinKeySize {
				return fmt.Errorf("%w: previous MAC key %d has %d bytes, need at least %d", ErrInvalidOption, i, len(p), MinKeySize)
			}
			c.previousKeys = append(c.previousKeys, append([]byte(nil), p...))
		}
		return nil
	}
}

// WithRefreshTTL sets the idle lifetime: a family not refreshed for d
// expires. Each rotation moves the idle expiry to now+d (never past the
// family lifetime). Default: 14 days. Must be > 0 and at most the family
// lifetime.
func WithRefreshTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: refresh TTL must be positive, got %v", ErrInvalidOption, d)
		}
		c.refreshTTL = d
		return nil
	}
}

// WithFamilyLifetime sets the absolute lifetime of a family, fixed at Issue
// and never extended by rotation: after it the user must log in again.
// Default: 30 days. Must be > 0.
func WithFamilyLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: family lifetime must be positive, got %v", ErrInvalidOption, d)
		}
		c.familyLifetime = d
		return nil
	}
}

// WithGracePeriod lets the token just rotated away be presented again for d
// after its rotation and get the same successor back (several browser tabs
// refreshing at once; a response lost on the way). Older tokens are reuse
// even within d. Default: 0 (strict: any second presentation is reuse). At
// most MaxGracePeriod.
func WithGracePeriod(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > MaxGracePeriod {
			return fmt.Errorf("%w: grace period %v outside [0, %v]", ErrInvalidOption, d, MaxGracePeriod)
		}
		c.grace = d
		return nil
	}
}

// WithRevoker sets where a revoked family's sid is sent, so that its
// outstanding access tokens die too (a *blocklist.List). Default: none; the
// access tokens of a revoked family then live until they expire.
func WithRevoker(r Revoker) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: nil Revoker", ErrInvalidOption)
		}
		c.revoker = r
		return nil
	}
}

// WithEvents sets a callback for family events (issued, rotated, grace
// replay, reuse detected, revoked). It runs synchronously on the request's
// goroutine after the store has decided, so it must be quick; hand slow
// work to a queue. Default: none.
func WithEvents(fn func(context.Context, Event)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil events callback", ErrInvalidOption)
		}
		c.events = fn
		return nil
	}
}

// WithClock sets the clock that decides every expiry. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for security events and failures that are not
// returned to the caller (a Revoker failing after a reuse). Tokens are
// never logged. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}
}

// WithClaimsRefresh sets a function called at each rotation with the claims
// given to Issue (as stored with the family); the access token is minted
// from what it returns, e.g. with the user's current roles. It must keep the
// subject; the sid is always the family's. Its result is not stored: the
// next rotation starts again from the Issue claims. An error fails the
// Refresh after the token was consumed, like any failure after the store
// step: within a grace period the client can retry and get the same
// successor; without one, its retry is reuse. To deny for good (a disabled
// user), return an error and revoke the family (RevokeFamily) or the
// subject (RevokeSubject). Default: none (the Issue claims carry over
// unchanged).
func WithClaimsRefresh(fn func(ctx context.Context, c jwt.Claims) (jwt.Claims, error)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil claims refresh function", ErrInvalidOption)
		}
		c.refreshClaims = fn
		return nil
	}
}
