package blocklist

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Option configures a List.
type Option func(*options) error

type options struct {
	now         func() time.Time
	clockSet    bool // WithClock given: read it on every call, exactly
	maxLifetime time.Duration
	leeway      time.Duration
	staleness   time.Duration
	failOpen    bool
	logger      *slog.Logger
	events      func(context.Context, Event)
}

func defaultOptions() options {
	return options{
		now:         time.Now,
		maxLifetime: 15 * time.Minute,
		leeway:      time.Minute,
		staleness:   5 * time.Second,
		logger:      slog.New(slog.DiscardHandler),
	}
}

// WithClock sets the clock that decides expiry and staleness; IsRevoked
// then calls it on every check.
//
// Default: time.Now, read by a ticker every 10ms rather than on every
// IsRevoked, because a clock read can cost half of the check's budget (about
// 50ns on some virtual machines). Decisions then lag the real clock by up to
// 10ms: an entry may be honoured up to 10ms past its expiry (towards
// revoking), and staleness is noticed up to 10ms late.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalid)
		}
		o.now = now
		o.clockSet = true
		return nil
	}
}

// WithMaxTokenLifetime sets the longest lifetime of an access token checked
// against this List. Session and subject entries live this long (plus the
// leeway) after the revocation: by then every token they could match has
// expired. It must be at least the issuer's TTL, or tokens outlive the
// revocation of their session or subject. Default: 15 minutes; at most 24h.
func WithMaxTokenLifetime(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > 24*time.Hour {
			return fmt.Errorf("%w: max token lifetime %v out of range (0, 24h]", ErrInvalid, d)
		}
		o.maxLifetime = d
		return nil
	}
}

// WithLeeway extends every entry's life by d beyond the moment its tokens
// expire, to cover the verifier's leeway on exp and clock skew between
// machines. It must be at least the verifier's leeway (jwt.WithLeeway,
// default 30s). Default: 1 minute.
func WithLeeway(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("%w: leeway %v out of range [0, 1h]", ErrInvalid, d)
		}
		o.leeway = d
		return nil
	}
}

// WithStalenessBound sets how long the local replica may go without hearing
// from the store (a change or a heartbeat) before IsRevoked fails closed
// with ErrStale. It is the guarantee the List gives: a revocation is
// enforced on every replica within this bound, or that replica refuses
// tokens. A short bound turns a store outage into refused requests sooner; a
// long one lets revoked tokens through for longer. The replica polls the
// store every bound/5 (at most every second). Default: 5 seconds.
func WithStalenessBound(d time.Duration) Option {
	return func(o *options) error {
		if d < 50*time.Millisecond || d > time.Hour {
			return fmt.Errorf("%w: staleness bound %v out of range [50ms, 1h]", ErrInvalid, d)
		}
		o.staleness = d
		return nil
	}
}

// UnsafeFailOpenWhenStale makes IsRevoked answer from the local replica even
// when it is stale (past the staleness bound, or never synchronised), instead
// of returning ErrStale. During a store outage, tokens revoked since the
// replica last heard from the store are then ACCEPTED. Each stale period is
// logged once at Error level. Use it only where availability matters more
// than revocation. Default: off (fail closed).
func UnsafeFailOpenWhenStale() Option {
	return func(o *options) error {
		o.failOpen = true
		return nil
	}
}

// WithLogger sets the logger for revocations, resynchronisations and store
// failures. Default: a logger that discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalid)
		}
		o.logger = l
		return nil
	}
}

// WithEvents calls fn for every security event of this List: each
// revocation made through it, once the store has it, and each loss of the
// store's data detected. fn runs synchronously on the revoking goroutine (or
// the replica's) and must not block. Default: none.
func WithEvents(fn func(context.Context, Event)) Option {
	return func(o *options) error {
		if fn == nil {
			return fmt.Errorf("%w: nil event handler", ErrInvalid)
		}
		o.events = fn
		return nil
	}
}
