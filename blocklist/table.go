package blocklist

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// table is the replica's lookup structure for one kind of entry: an
// open-addressing hash table (linear probing) from a 64-bit keyed hash of
// the ID to a packed value (watermark<<32 | expiry, both in Unix seconds).
//
// Why this shape: the ID strings are not kept (16 bytes per slot instead of
// a Go string and map overhead), and readers take no lock: they load the
// current slot array through an atomic pointer and read slots with atomic
// loads, so IsRevoked costs a hash and one or two cache lines, allocates
// nothing and does not contend under parallel load. Writers serialise on mu;
// a resize builds a new array and swaps the pointer, so readers never see a
// half-built table. Each slot array carries a Bloom filter (filter.go),
// published with it, that answers most misses without touching the array.
//
// Two IDs with the same 64-bit hash share a slot: the second is reported
// revoked when the first is. With a random per-List seed an attacker cannot
// aim for a collision, and by chance it happens about once in 2^64/n
// lookups (n live entries): the error is towards revoking, never towards
// accepting.
type table struct {
	mu   sync.Mutex // serialises writers
	cur  atomic.Pointer[slots]
	live atomic.Int64 // live entries (may include expired ones not yet swept)
	// added counts the keys added to the current array's filter (its live
	// keys when built, then every new key, also one that reuses a
	// tombstone); it bounds both the non-empty slots and the filter's load.
	// Under mu.
	added int
	sweep uint32 // Unix second of the last sweep; under mu
}

type slot struct {
	key atomic.Uint64 // 0 empty, 1 tombstone, else the hash
	val atomic.Uint64 // watermark<<32 | expiry
}

type slots struct {
	mask uint64
	s    []slot
	f    filter // holds every key ever stored in s; none (nil w) in a small array
}

const (
	emptyKey     = 0
	tombstoneKey = 1
	minSlots     = 64

	// filterMinSlots is the smallest slot array given a filter (64 KB). A
	// smaller one stays in the CPU caches when in use, so that a probe costs
	// about what the filter would: the filter would only add a cache line
	// to every lookup, and small tables are the usual sid and sub ones.
	filterMinSlots = 1 << 12
)

// fixHash keeps the two reserved key values out of the hash space; the
// doubled probability of those two values is immaterial.
func fixHash(h uint64) uint64 {
	if h <= tombstoneKey {
		h += 2
	}
	return h
}

func pack(exp, wm uint32) uint64       { return uint64(wm)<<32 | uint64(exp) }
func unpack(v uint64) (exp, wm uint32) { return uint32(v), uint32(v >> 32) }

func newTable() *table {
	t := &table{}
	t.cur.Store(newSlots(minSlots))
	return t
}

func newSlots(n int) *slots {
	s := &slots{mask: uint64(n - 1), s: make([]slot, n)}
	if n >= filterMinSlots {
		s.f = newFilter(n)
	}
	return s
}

// get returns the packed value stored for h. It is safe to call
// concurrently with writers.
func (t *table) get(h uint64) (uint64, bool) {
	s := t.cur.Load()
	// The filter and the slots come from the same array: a key stored in s
	// was added to s.f before it was stored.
	if s.f.w != nil && !s.f.mayContain(h) {
		return 0, false
	}
	for {
		i := h & s.mask
		for {
			sl := &s.s[i]
			k := sl.key.Load()
			if k == h {
				v := sl.val.Load()
				// A writer may have recycled the slot between the two
				// loads; then look again.
				if sl.key.Load() != h {
					break
				}
				return v, true
			}
			if k == emptyKey {
				return 0, false
			}
			i = (i + 1) & s.mask
		}
	}
}

// merge stores (exp, wm) for h, combined with a live value already there by
// taking the later expiry and the later watermark. now is in Unix seconds.
func (t *table) merge(h uint64, exp, wm, now uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mergeLocked(h, exp, wm, now)
}

func (t *table) mergeLocked(h uint64, exp, wm, now uint32) {
	s := t.cur.Load()
	i := h & s.mask
	tomb := -1
	for {
		sl := &s.s[i]
		k := sl.key.Load()
		if k == h {
			oexp, owm := unpack(sl.val.Load())
			if oexp > now {
				exp, wm = max(exp, oexp), max(wm, owm)
			}
			sl.val.Store(pack(exp, wm))
			return
		}
		if k == tombstoneKey && tomb < 0 {
			tomb = int(i)
		}
		if k == emptyKey {
			break
		}
		i = (i + 1) & s.mask
	}
	if tomb >= 0 {
		i = uint64(tomb)
	}
	// Filter before key: a reader that could find the key passes the
	// filter. Value before key: a reader that sees the key sees its value.
	if s.f.w != nil {
		s.f.add(h)
	}
	t.added++
	s.s[i].val.Store(pack(exp, wm))
	s.s[i].key.Store(h)
	t.live.Add(1)
	if t.added*4 > len(s.s)*3 {
		t.rebuild()
	}
}

// rebuild copies the live slots into a new array sized for twice the live
// count (tombstones are dropped) with a filter of just those keys, and
// publishes both at once. Callers hold mu.
func (t *table) rebuild() {
	old := t.cur.Load()
	live := int(t.live.Load())
	n := minSlots
	if live*2 > n {
		n = 1 << bits.Len(uint(live*2-1))
	}
	ns := newSlots(n)
	for i := range old.s {
		k := old.s[i].key.Load()
		if k <= tombstoneKey {
			continue
		}
		j := k & ns.mask
		for ns.s[j].key.Load() != emptyKey {
			j = (j + 1) & ns.mask
		}
		ns.s[j].val.Store(old.s[i].val.Load())
		ns.s[j].key.Store(k)
		if ns.f.w != nil {
			ns.f.addUnpublished(k)
		}
	}
	t.added = live
	t.cur.Store(ns)
}

// expire turns every entry expired at now (Unix seconds) into a tombstone,
// and shrinks the table when it has become mostly empty. The filter keeps
// the bits of expired keys (a Bloom filter cannot forget) until the next
// rebuild, which added bounds.
func (t *table) expire(now uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep = now
	s := t.cur.Load()
	for i := range s.s {
		sl := &s.s[i]
		if sl.key.Load() <= tombstoneKey {
			continue
		}
		if exp, _ := unpack(sl.val.Load()); exp <= now {
			sl.key.Store(tombstoneKey)
			t.live.Add(-1)
		}
	}
	if len(s.s) > minSlots && int(t.live.Load())*8 < len(s.s) {
		t.rebuild()
	}
}
