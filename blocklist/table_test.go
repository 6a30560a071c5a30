package blocklist

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/jwt"
)

func TestTableMergeGetExpireAndResize(t *testing.T) {
	tab := newTable()
	const n = 10_000
	for i := range n {
		tab.merge(fixHash(uint64(i)*0x9E3779B97F4A7C15), uint32(100+i%2), 0, 50)
	}
	assert.EqualValues(t, n, tab.live.Load())
	assert.LessOrEqual(t, n*4, len(tab.cur.Load().s)*3, "grown to keep the load factor at or under three quarters")
	for i := range n {
		v, ok := tab.get(fixHash(uint64(i) * 0x9E3779B97F4A7C15))
		require.True(t, ok)
		exp, _ := unpack(v)
		require.EqualValues(t, 100+i%2, exp)
	}
	_, ok := tab.get(fixHash(12345))
	assert.False(t, ok)

	tab.expire(100) // half expire at 100
	assert.EqualValues(t, n/2, tab.live.Load())
	tab.expire(101)
	assert.Zero(t, tab.live.Load())
	assert.Equal(t, minSlots, len(tab.cur.Load().s), "an empty table shrinks")
	_, ok = tab.get(fixHash(0))
	assert.False(t, ok)
}

func TestTableMergeTakesMaxOnlyOfALiveValue(t *testing.T) {
	tab := newTable()
	tab.merge(7, 100, 50, 10)
	tab.merge(7, 90, 40, 10)
	v, _ := tab.get(7)
	exp, wm := unpack(v)
	assert.EqualValues(t, 100, exp)
	assert.EqualValues(t, 50, wm)
	tab.merge(7, 200, 10, 150) // the old value expired at 100: replaced, not merged
	v, _ = tab.get(7)
	exp, wm = unpack(v)
	assert.EqualValues(t, 200, exp)
	assert.EqualValues(t, 10, wm)
}

func TestTableReservedKeysAreRemapped(t *testing.T) {
	assert.EqualValues(t, 2, fixHash(0))
	assert.EqualValues(t, 3, fixHash(1))
	assert.EqualValues(t, 5, fixHash(5))
}

func TestTableConcurrentReadersDuringResizeAndSweep(t *testing.T) {
	tab := newTable()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Keys 2..1001 are present from the start and never expire: readers must
	// always find them, whatever the writers do meanwhile.
	for k := uint64(2); k < 1002; k++ {
		tab.merge(k, 1<<31, 0, 0)
	}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for k := uint64(2); k < 1002; k++ {
					if _, ok := tab.get(k); !ok {
						t.Errorf("key %d vanished", k)
						return
					}
				}
				runtime.Gosched()
			}
		})
	}
	for round := range 5 {
		for k := uint64(10_000); k < 15_000; k++ {
			tab.merge(k, uint32(10+round), 0, uint32(round))
		}
		tab.expire(uint32(10 + round))
	}
	close(stop)
	wg.Wait()
}

func TestSweepFreesExpiredEntries(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, err := New(NewMemoryStore(), WithClock(clock), WithLeeway(0))
	require.NoError(t, err)
	defer l.Close()
	ctx := context.Background()
	for i := range 100 {
		require.NoError(t, l.RevokeToken(ctx, fmt.Sprint("j", i), now.Add(time.Minute)))
	}
	require.EqualValues(t, 100, l.tabs[KindToken-1].live.Load())
	mu.Lock()
	now = now.Add(2 * sweepEvery)
	mu.Unlock()
	require.Eventually(t, func() bool { return l.tabs[KindToken-1].live.Load() == 0 }, 10*time.Second, time.Millisecond,
		"expired entries leave the replica's memory")
	l.outboxMu.Lock()
	assert.Empty(t, l.outbox, "and the outbox")
	l.outboxMu.Unlock()
}

func TestDefaultClockIsReadByTheTicker(t *testing.T) {
	// The default clock path: IsRevoked reads the time cached by the
	// ticker, here fed from a fake clock through the same code.
	var mu sync.Mutex
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, err := New(NewMemoryStore(), func(o *options) error { o.now = clock; return nil }, WithLeeway(0), WithStalenessBound(time.Hour))
	require.NoError(t, err)
	defer l.Close()
	require.True(t, l.coarse)
	ctx := context.Background()
	require.NoError(t, l.RevokeToken(ctx, "j", now.Add(time.Minute)))
	c := &jwt.Claims{ID: "j"}
	r, err := l.IsRevoked(ctx, c)
	require.NoError(t, err)
	require.True(t, r)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	require.Eventually(t, func() bool {
		r, err := l.IsRevoked(ctx, c)
		return err == nil && !r
	}, 10*time.Second, time.Millisecond, "the cached time follows the clock within a tick")
}

// TestTableReadersSeeExactValuesDuringChurn: while writers grow, sweep,
// shrink and recycle slots (tombstones reused by other keys), readers find
// every stable key with exactly its value, and never find a key that was
// never inserted.
func TestTableReadersSeeExactValuesDuringChurn(t *testing.T) {
	tab := newTable()
	const stable = 500
	want := func(k uint64) uint64 { return pack(1<<31+uint32(k), uint32(k)) }
	for k := uint64(2); k < 2+stable; k++ {
		tab.merge(k, 1<<31+uint32(k), uint32(k), 0)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 1 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for k := uint64(2); k < 2+stable; k++ {
					v, ok := tab.get(k)
					if !ok || v != want(k) {
						t.Errorf("key %d: got %x, %v; want %x", k, v, ok, want(k))
						return
					}
					if _, ok := tab.get(1<<40 + k); ok {
						t.Errorf("key %d found, never inserted", 1<<40+k)
						return
					}
				}
				runtime.Gosched()
			}
		})
	}
	for round := range 12 {
		now := uint32(100 * round)
		n := 200 + 3000*(round%3) // grow, then shrink back, and again
		for k := range uint64(n) {
			tab.merge(1<<20+uint64(round)<<16+k, now+50, 0, now)
		}
		// Merging a stable key with smaller values changes nothing.
		tab.merge(2, 1, 0, now)
		tab.expire(now + 50)
	}
	close(stop)
	wg.Wait()
	assert.EqualValues(t, stable, tab.live.Load())
}
