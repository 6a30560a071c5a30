package blocklist_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt/jwttest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock = jwttest.Clock

func newFakeClock(t time.Time) *fakeClock { return jwttest.NewClock(t) }

// flakyStore wraps a store and fails every call while down. A call that
// was in flight when the store went down fails too, so no contact can be
// recorded after SetDown returns.
type flakyStore struct {
	blocklist.Store
	down     atomic.Bool
	failures atomic.Int64
}

func (f *flakyStore) SetDown(down bool) { f.down.Store(down) }

func (f *flakyStore) fail() error {
	f.failures.Add(1)
	return fmt.Errorf("%w: test: store is down", blocklist.ErrUnavailable)
}

func (f *flakyStore) Revoke(ctx context.Context, now time.Time, entries ...blocklist.Entry) error {
	if f.down.Load() {
		return f.fail()
	}
	return f.Store.Revoke(ctx, now, entries...)
}

func (f *flakyStore) Snapshot(ctx context.Context, now time.Time) (blocklist.Snapshot, error) {
	if f.down.Load() {
		return blocklist.Snapshot{}, f.fail()
	}
	s, err := f.Store.Snapshot(ctx, now)
	if f.down.Load() {
		return blocklist.Snapshot{}, f.fail()
	}
	return s, err
}

func (f *flakyStore) Changes(ctx context.Context, after blocklist.Cursor, wait time.Duration) ([]blocklist.Change, blocklist.Cursor, error) {
	if f.down.Load() {
		return nil, after, f.fail()
	}
	chs, next, err := f.Store.Changes(ctx, after, wait)
	if f.down.Load() {
		return nil, after, f.fail()
	}
	return chs, next, err
}

// deafStore never delivers feed changes (only heartbeats), so a List on it
// learns only from its own writes and from snapshots.
type deafStore struct {
	blocklist.Store
}

func (d deafStore) Changes(ctx context.Context, after blocklist.Cursor, wait time.Duration) ([]blocklist.Change, blocklist.Cursor, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, after, nil
}

// gappyStore answers every feed read with ErrGap, so a List on it learns
// from snapshots only.
type gappyStore struct {
	blocklist.Store
	gaps atomic.Int64
}

func (g *gappyStore) Changes(ctx context.Context, after blocklist.Cursor, wait time.Duration) ([]blocklist.Change, blocklist.Cursor, error) {
	g.gaps.Add(1)
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, after, fmt.Errorf("%w: test: trimmed", blocklist.ErrGap)
}

// resettableStore is a store that can lose all its data, like a Redis server
// restarted without persistence.
type resettableStore struct {
	mu sync.Mutex
	s  *blocklist.MemoryStore
}

func (r *resettableStore) cur() *blocklist.MemoryStore {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s
}

func (r *resettableStore) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = blocklist.NewMemoryStore()
}

func (r *resettableStore) Revoke(ctx context.Context, now time.Time, entries ...blocklist.Entry) error {
	return r.cur().Revoke(ctx, now, entries...)
}

func (r *resettableStore) Snapshot(ctx context.Context, now time.Time) (blocklist.Snapshot, error) {
	return r.cur().Snapshot(ctx, now)
}

func (r *resettableStore) Changes(ctx context.Context, after blocklist.Cursor, wait time.Duration) ([]blocklist.Change, blocklist.Cursor, error) {
	// Bounded waits, so a follower parked on the old store notices the reset.
	return r.cur().Changes(ctx, after, min(wait, 20*time.Millisecond))
}
