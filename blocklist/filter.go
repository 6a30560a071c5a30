package blocklist

import (
	"math/bits"
	"sync/atomic"
)

// filter is a blocked Bloom filter kept with each slot array of a table, so
// that a lookup of an ID that is not in the table (the common case: most
// tokens are not revoked) reads one cache line of a small array instead of
// probing the large one. At a million entries the slot array takes 32 MB and
// each probe of it misses every CPU cache; the filter takes 1 byte per slot
// (2 MB), a size the caches mostly hold. (A miss also costs more than a hit
// in the array itself: with linear probing at the load of a table of a
// million entries, 0.48, it scans 2.3 slots, 1.33 cache lines, to an empty
// slot, where a hit stops after 1.5 slots on average; and IsRevoked goes on
// to the sid and sub tables after a jti miss, which stay small and cached.)
//
// Each key sets 8 bits in one 64-byte block, one bit per 64-bit word
// (a split-block Bloom filter, as in Parquet, here with 64-bit words), so a
// lookup costs one cache line whatever the answer. The filter never forgets a key: a table only
// grows its filter (OR), and a fresh filter comes with each new slot array,
// built from the live keys before the array is published. A lookup that
// the filter rejects is therefore a true miss; one it accepts is checked in
// the slot array.
//
// False positives grow with the keys added since the array was built (keys
// that expired keep their bits until the next rebuild); the table rebuilds
// once three quarters of its slot count have been added, so the filter
// always has at least 8/0.75 ≈ 10.7 bits per key it holds, about 1% false
// positives at worst and about 0.1% in a table just grown.
type filter struct {
	w    []uint64 // blocks of filterWords words; read and OR-ed atomically once published
	mask uint64   // blocks - 1 (a power of two)
}

const (
	filterWords   = 8  // words per block: one 64-byte cache line
	slotsPerBlock = 64 // table slots per block: 8 filter bits per slot
)

// newFilter returns an empty filter sized for a slot array of nslots (a
// power of two).
func newFilter(nslots int) filter {
	nb := max(nslots/slotsPerBlock, 1)
	return filter{w: make([]uint64, nb*filterWords), mask: uint64(nb - 1)}
}

// The bits of h a filter uses: the block comes from the top 16 bits (and
// bits 0 up, for filters of more than 2^16 blocks, that is tables of more
// than 4M slots), the bit within word i from bits 6i to 6i+5. maphash
// makes all 64 bits independent; that the table's slot index also uses the
// low bits does not matter, as a false positive only costs a probe.
func (f *filter) block(h uint64) *[filterWords]uint64 {
	i := (bits.RotateLeft64(h, 16) & f.mask) * filterWords
	return (*[filterWords]uint64)(f.w[i : i+filterWords])
}

// mayContain reports false only if h was never added. It is safe to call
// concurrently with add.
func (f *filter) mayContain(h uint64) bool {
	b := f.block(h)
	// Unrolled and branch-free: the 8 words share one cache line, and a mix
	// of hits and misses would defeat the branch predictor.
	r := atomic.LoadUint64(&b[0]) >> (h & 63)
	r &= atomic.LoadUint64(&b[1]) >> (h >> 6 & 63)
	r &= atomic.LoadUint64(&b[2]) >> (h >> 12 & 63)
	r &= atomic.LoadUint64(&b[3]) >> (h >> 18 & 63)
	r &= atomic.LoadUint64(&b[4]) >> (h >> 24 & 63)
	r &= atomic.LoadUint64(&b[5]) >> (h >> 30 & 63)
	r &= atomic.LoadUint64(&b[6]) >> (h >> 36 & 63)
	r &= atomic.LoadUint64(&b[7]) >> (h >> 42 & 63)
	return r&1 != 0
}

// add sets h's bits in a published filter. Callers hold the table's mutex
// and call it before the key becomes visible in the slot array.
func (f *filter) add(h uint64) {
	b := f.block(h)
	for i := range filterWords {
		atomic.OrUint64(&b[i], 1<<(h>>(6*i)&63))
	}
}

// addUnpublished sets h's bits in a filter no reader can reach yet (a
// rebuild's); publishing it through the table's atomic pointer orders these
// writes before every reader's loads.
func (f *filter) addUnpublished(h uint64) {
	b := f.block(h)
	for i := range filterWords {
		b[i] |= 1 << (h >> (6 * i) & 63)
	}
}
