package blocklist

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
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

// TestTableFilterStaysSelectiveUnderChurn: in a steady state where expired
// entries' tombstones are reused by new keys (so the slot array fills slowly
// or not at all), the filter would collect the bits of every key ever
// added; the table must rebuild it before it holds more keys than three
// quarters of its slot count. The test counts the keys itself.
func TestTableFilterStaysSelectiveUnderChurn(t *testing.T) {
	tab := newTable()
	const live, rounds = 4096, 60
	key := func(i int) uint64 { return fixHash(uint64(i) * 0x9E3779B97F4A7C15) }
	next, inFilter := 0, 0
	s := tab.cur.Load()
	check := func(what string) {
		if ns := tab.cur.Load(); ns != s {
			s, inFilter = ns, int(tab.live.Load()) // rebuilt from the live keys
		}
		require.LessOrEqual(t, inFilter*4, len(s.s)*3, "%s: %d keys in the filter of %d slots", what, inFilter, len(s.s))
	}
	add := func(exp, now uint32) {
		tab.merge(key(next), exp, 0, now)
		next++
		inFilter++
		check("merge")
	}
	for i := range live {
		add(uint32(1+i%8), 0) // an eighth expires at each of seconds 1..8
	}
	r := rand.New(rand.NewPCG(3, 4))
	for round := range rounds {
		now := uint32(round + 1)
		// An eighth of the entries expire and as many new ones arrive,
		// mostly into the tombstones just left.
		tab.expire(now)
		check("expire")
		for range live / 8 {
			add(now+8, now)
		}
		require.NotNil(t, s.f.w, "a table this large has a filter")
		require.Less(t, fpRate(&s.f, r, 10_000), 0.02, "round %d", round)
		require.EqualValues(t, live, tab.live.Load())
	}
	require.Greater(t, next, 2*len(s.s), "the churn added many times the table's capacity in keys")
	for i := next - live/8; i < next; i++ {
		_, ok := tab.get(key(i))
		require.True(t, ok, "key %d", i)
	}
}

// TestTableNoFalseNegativeUnderConcurrentWrites: readers look up keys whose
// merge has returned while a writer keeps inserting (growing the table,
// reusing tombstones) and sweeping (shrinking it): every such key is found
// with its exact value, through whichever slot array and filter the reader
// loads. Run with -race.
func TestTableNoFalseNegativeUnderConcurrentWrites(t *testing.T) {
	tab := newTable()
	const stable = 20_000
	stableKey := func(i uint64) uint64 { return fixHash((i + 1) * 0x9E3779B97F4A7C15) }
	churnKey := func(i uint64) uint64 { return fixHash(i*0xBF58476D1CE4E5B9 + 7) }
	want := func(i uint64) uint64 { return pack(1<<31+uint32(i), uint32(i)) }
	var inserted atomic.Uint64 // stable keys 0..inserted-1 have been merged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 5))
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := inserted.Load()
				if n == 0 {
					continue
				}
				// The newest keys (most likely in flight through a resize)
				// and random older ones.
				for _, i := range []uint64{n - 1, n - 1 - min(n-1, 3), r.Uint64N(n)} {
					v, ok := tab.get(stableKey(i))
					if !ok || v != want(i) {
						t.Errorf("stable key %d of %d: got %x, %v; want %x", i, n, v, ok, want(i))
						return
					}
				}
			}
		})
	}
	churn := uint64(0)
	for i := range uint64(stable) {
		tab.merge(stableKey(i), 1<<31+uint32(i), uint32(i), 0)
		inserted.Store(i + 1)
		// Churn: short-lived keys, swept often, so that the table grows,
		// reuses tombstones, and shrinks back while readers run.
		now := uint32(i / 64)
		for range 2 {
			tab.merge(churnKey(churn), now+1+uint32(churn%3), 0, now)
			churn++
		}
		if i%256 == 0 {
			tab.expire(now)
		}
		if i%4096 == 4095 {
			// A mass expiry: most churn keys go, and the table shrinks.
			tab.expire(now + 10)
		}
	}
	close(stop)
	wg.Wait()
	for i := range uint64(stable) {
		v, ok := tab.get(stableKey(i))
		require.True(t, ok)
		require.Equal(t, want(i), v)
	}
}

// TestListNoFalseNegativeWhileTablesGrow: through the whole IsRevoked path
// (hashes, the three filters and tables), a token revoked before a lookup
// starts is reported revoked, while another goroutine keeps revoking (the
// jti table grows through several sizes, rebuilding its filter each time)
// and sweeping.
func TestListNoFalseNegativeWhileTablesGrow(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	l, err := New(NewMemoryStore(), WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	defer l.Close()
	ctx := context.Background()
	const n = 5000
	jti := func(i uint64) string { return fmt.Sprint("jti-", i) }
	var revoked atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := revoked.Load()
				if k == 0 {
					continue
				}
				for _, i := range []uint64{k - 1, r.Uint64N(k)} {
					// A miss on sid and sub too: all three tables are read.
					c := jwt.Claims{ID: jti(i), SessionID: "live-session", Subject: "live-user", IssuedAt: now}
					if rv, err := l.IsRevoked(ctx, &c); err != nil || !rv {
						t.Errorf("jti %d of %d: IsRevoked = %v, %v", i, k, rv, err)
						return
					}
				}
				c := jwt.Claims{ID: "never-revoked", IssuedAt: now}
				if rv, err := l.IsRevoked(ctx, &c); err != nil || rv {
					t.Errorf("never revoked: IsRevoked = %v, %v", rv, err)
					return
				}
			}
		})
	}
	for i := range uint64(n) {
		require.NoError(t, l.RevokeToken(ctx, jti(i), now.Add(time.Hour)))
		revoked.Store(i + 1)
		if i%500 == 0 {
			l.sweep(now) // nothing expired: the tables only get tombstone-free rebuilds or none
		}
	}
	close(stop)
	wg.Wait()
	assert.Greater(t, len(l.tabs[KindToken-1].cur.Load().s), n, "the table grew through several sizes")
}

func TestTableFilterOnlyOnLargeArrays(t *testing.T) {
	tab := newTable()
	assert.Nil(t, tab.cur.Load().f.w, "a small array has no filter")
	n := filterMinSlots // enough to grow past filterMinSlots slots
	for i := range n {
		tab.merge(fixHash(uint64(i)*0x9E3779B97F4A7C15), 100, 0, 50)
	}
	s := tab.cur.Load()
	require.GreaterOrEqual(t, len(s.s), filterMinSlots)
	require.NotNil(t, s.f.w)
	assert.Equal(t, len(s.s), 8*len(s.f.w), "one byte of filter per slot")
	for i := range n {
		h := fixHash(uint64(i) * 0x9E3779B97F4A7C15)
		require.True(t, s.f.mayContain(h))
		_, ok := tab.get(h)
		require.True(t, ok)
	}
	tab.expire(100)
	assert.Nil(t, tab.cur.Load().f.w, "shrunk back: no filter")
}
