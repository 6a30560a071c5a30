package blocklist

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credence-go/credence/jwt"
)

// List answers "is this token revoked?" from a local replica of a Store, and
// revokes tokens, sessions and subjects in that store. It is safe for
// concurrent use. Create it with New and stop it with Close.
type List struct {
	store Store
	o     options
	wait  time.Duration // how long one Changes call may wait: the heartbeat

	seeds [3]maphash.Seed // per kind, so equal IDs of two kinds never meet
	tabs  [3]*table       // per kind: a large jti table must not slow sid/sub lookups

	lastContact atomic.Int64 // UnixNano by o.now of the last store contact; 0 = never
	coarse      bool         // IsRevoked reads cachedNow instead of o.now
	cachedNow   atomic.Int64 // UnixNano by o.now, refreshed every tick
	closed      atomic.Bool
	staleLogged atomic.Bool

	// outbox keeps this List's own revocations, with their IDs, until they
	// expire, to republish them if the store loses its data. The replica
	// tables keep only hashes.
	outboxMu sync.Mutex
	outbox   map[entryKey]Entry

	cancel    context.CancelFunc
	done      chan struct{} // closed when follow returns
	ticking   chan struct{} // closed when tick returns; nil without a ticker
	closeOnce sync.Once
}

var _ jwt.RevocationChecker = (*List)(nil)

var errNilClaims = fmt.Errorf("%w: nil claims", ErrInvalid)

// New returns a List backed by store. It loads the store's live entries
// before returning (failing with ErrUnavailable if the store cannot be
// reached within the staleness bound), then follows the store's change feed
// in a goroutine until Close.
func New(store Store, opts ...Option) (*List, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalid)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalid)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	l := &List{
		store:  store,
		o:      o,
		coarse: !o.clockSet,
		wait:   min(max(o.staleness/5, 10*time.Millisecond), time.Second),
		outbox: make(map[entryKey]Entry),
		done:   make(chan struct{}),
	}
	for i := range l.tabs {
		l.seeds[i] = maphash.MakeSeed()
		l.tabs[i] = newTable()
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.staleness)
	cur, err := l.resync(ctx, Cursor{})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("blocklist: first snapshot: %w", asUnavailable(err))
	}
	ctx, l.cancel = context.WithCancel(context.Background())
	go l.follow(ctx, cur, o.now())
	if l.coarse {
		l.cachedNow.Store(o.now().UnixNano())
		l.ticking = make(chan struct{})
		go l.tick(ctx)
	}
	return l, nil
}

// The Revoke methods write to the store and, once it has the revocation,
// apply it to this List's replica before returning (read-your-writes); other
// Lists learn it from the change feed. On a store error they return an error
// wrapping ErrUnavailable: the revocation may not have reached the store, so
// the caller must retry; this List enforces it meanwhile.

// RevokeToken revokes the token whose jti is jti. expiresAt is the token's
// exp: the entry lives until then plus the leeway. Revoking a token that has
// already expired (beyond the leeway) does nothing.
func (l *List) RevokeToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if expiresAt.IsZero() {
		return fmt.Errorf("%w: zero expiry for token %q", ErrInvalid, jti)
	}
	return l.revoke(ctx, Entry{Kind: KindToken, ID: jti, ExpiresAt: expiresAt.Add(l.o.leeway)})
}

// RevokeSession revokes every token whose sid claim is sid, for the maximum
// token lifetime (plus the leeway) from now. Tokens carrying sid issued
// during that window are revoked too: a revoked session or refresh-token
// family must not mint any.
func (l *List) RevokeSession(ctx context.Context, sid string) error {
	now := l.o.now()
	return l.revoke(ctx, Entry{Kind: KindSession, ID: sid, ExpiresAt: now.Add(l.o.maxLifetime + l.o.leeway)})
}

// RevokeSubject revokes every token of the subject sub issued until now: a
// token is revoked when its iat second is at or before the second of this
// call (a token issued later in the same second is revoked too, and a token
// without iat always is). Tokens issued from the next second on are
// accepted. The watermark lives for the maximum token lifetime plus the
// leeway; revoking again moves it forward.
func (l *List) RevokeSubject(ctx context.Context, sub string) error {
	now := l.o.now()
	return l.revoke(ctx, Entry{Kind: KindSubject, ID: sub, ExpiresAt: now.Add(l.o.maxLifetime + l.o.leeway), Watermark: now})
}

func (l *List) revoke(ctx context.Context, e Entry) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if err := e.Validate(); err != nil {
		return err
	}
	now := l.o.now()
	e = normalize(e)
	if !now.Before(e.ExpiresAt) {
		return nil
	}
	if err := l.store.Revoke(ctx, now, e); err != nil {
		// The store may or may not have it; this List enforces it anyway
		// (erring towards revoking) and the caller learns it must retry.
		l.apply(e, now)
		err = asUnavailable(err)
		l.o.logger.LogAttrs(ctx, slog.LevelError, "blocklist: revocation failed; enforced by this instance only",
			slog.String("kind", e.Kind.String()), slog.String("id", e.ID), slog.Any("error", err))
		return err
	}
	// Read-your-writes: this List enforces the revocation before returning,
	// without waiting for the feed to bring it back.
	l.apply(e, now)
	l.outboxMu.Lock()
	k := entryKey{e.Kind, e.ID}
	if old, ok := l.outbox[k]; ok {
		e2 := old.Merge(e)
		l.outbox[k] = e2
	} else {
		l.outbox[k] = e
	}
	l.outboxMu.Unlock()

	actor, _ := ActorFromContext(ctx)
	attrs := []slog.Attr{slog.String("kind", e.Kind.String()), slog.String("id", e.ID), slog.Time("expires_at", e.ExpiresAt)}
	if e.Kind == KindSubject {
		attrs = append(attrs, slog.Time("watermark", e.Watermark))
	}
	if actor != "" {
		attrs = append(attrs, slog.String("actor", actor))
	}
	l.o.logger.LogAttrs(ctx, slog.LevelInfo, "blocklist: revoked", attrs...)
	if l.o.events != nil {
		l.o.events(ctx, Event{Type: EventRevoked, Time: now, Entry: e, Actor: actor})
	}
	return nil
}

// IsRevoked reports whether the token with claims c is revoked: its jti is
// revoked, or its sid, or its iat is at or before its subject's watermark.
// It reads only the local replica: no I/O, no allocation.
//
// It returns ErrStale when the replica has not heard from the store within
// the staleness bound (unless UnsafeFailOpenWhenStale), ErrClosed after
// Close, ErrInvalid for nil claims. On an error the answer is not a pass: a
// jwt.Verifier refuses the token.
func (l *List) IsRevoked(_ context.Context, c *jwt.Claims) (bool, error) {
	if c == nil {
		return false, errNilClaims
	}
	ns := l.nowNanos()
	if err := l.fresh(ns); err != nil {
		return false, err
	}
	sec := clampUnix(floorDiv(ns, int64(time.Second)))
	if c.ID != "" {
		if t := l.tabs[KindToken-1]; t.live.Load() > 0 {
			if v, ok := t.get(l.hash(KindToken, c.ID)); ok {
				if exp, _ := unpack(v); exp > sec {
					return true, nil
				}
			}
		}
	}
	if c.SessionID != "" {
		if t := l.tabs[KindSession-1]; t.live.Load() > 0 {
			if v, ok := t.get(l.hash(KindSession, c.SessionID)); ok {
				if exp, _ := unpack(v); exp > sec {
					return true, nil
				}
			}
		}
	}
	if c.Subject != "" {
		if t := l.tabs[KindSubject-1]; t.live.Load() > 0 {
			if v, ok := t.get(l.hash(KindSubject, c.Subject)); ok {
				if exp, wm := unpack(v); exp > sec && c.IssuedAt.Unix() <= int64(wm) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// nowNanos is the current time for IsRevoked, in Unix nanoseconds.
func (l *List) nowNanos() int64 {
	if l.coarse {
		return l.cachedNow.Load()
	}
	return l.o.now().UnixNano()
}

// tick refreshes cachedNow until ctx is done.
func (l *List) tick(ctx context.Context) {
	defer close(l.ticking)
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.cachedNow.Store(l.o.now().UnixNano())
		case <-ctx.Done():
			return
		}
	}
}

// clockTick is how often the default clock is read for IsRevoked.
const clockTick = 10 * time.Millisecond

// maxClockLag is how far in the future of IsRevoked's clock the last contact
// may lie and still count: the cached clock lags the real one by a tick (more
// when the ticker is starved), and a contact may land between a check's
// clock read and its load of the last contact.
const maxClockLag = time.Second

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// fresh returns nil when the replica may answer at now (Unix nanoseconds).
func (l *List) fresh(now int64) error {
	if l.closed.Load() {
		return ErrClosed
	}
	last := l.lastContact.Load()
	age := time.Duration(now - last)
	// A contact in the future is a clock stepped back (or the cached clock
	// lagging a little): it proves nothing about the present beyond
	// maxClockLag.
	if last != 0 && age <= l.o.staleness && age >= -maxClockLag {
		return nil
	}
	if l.o.failOpen {
		if !l.staleLogged.Swap(true) {
			l.o.logger.LogAttrs(context.Background(), slog.LevelError,
				"blocklist: replica is stale; answering from it anyway (UnsafeFailOpenWhenStale): tokens revoked meanwhile are accepted",
				slog.Duration("bound", l.o.staleness))
		}
		return nil
	}
	if last == 0 {
		return fmt.Errorf("%w: never synchronised", ErrStale)
	}
	if age < 0 {
		return fmt.Errorf("%w: last contact with the store is %v in the future: the clock went back", ErrStale, -age)
	}
	return fmt.Errorf("%w: no contact with the store for %v (bound %v)", ErrStale, age, l.o.staleness)
}

// Close stops following the store. IsRevoked and the Revoke methods then
// return ErrClosed. Close waits for the replica's goroutine, which may be in
// a store call: up to a fifth of the staleness bound (at most a second)
// against a healthy store, longer if the store's client does not give up
// on a cancelled call (go-redis waits out a blocking read on a connection
// that hangs, for its wait plus 10 seconds).
func (l *List) Close() error {
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.cancel()
		<-l.done
		if l.ticking != nil {
			<-l.ticking
		}
	})
	return nil
}

func (l *List) hash(k Kind, id string) uint64 {
	return fixHash(maphash.String(l.seeds[k-1], id))
}

// apply merges e into the replica, unless it has already expired.
func (l *List) apply(e Entry, now time.Time) {
	exp, sec := clampUnix(ceilUnix(e.ExpiresAt)), clampUnix(now.Unix())
	if exp <= sec {
		return
	}
	l.tabs[e.Kind-1].merge(l.hash(e.Kind, e.ID), exp, wmUnix(e.Watermark), sec)
}

func wmUnix(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	return clampUnix(t.Unix())
}

// clampUnix maps Unix seconds into the uint32 range the tables store
// (1970 to 2106).
func clampUnix(s int64) uint32 {
	if s < 0 {
		return 0
	}
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}

// asUnavailable makes sure a store error wraps one of our sentinels.
func asUnavailable(err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrGap) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
