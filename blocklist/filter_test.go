package blocklist

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fpRate is the share of n random keys (never added: the seed differs from
// every adder's) that f lets through.
func fpRate(f *filter, r *rand.Rand, n int) float64 {
	fp := 0
	for range n {
		if f.mayContain(fixHash(r.Uint64())) {
			fp++
		}
	}
	return float64(fp) / float64(n)
}

func TestFilterHasNoFalseNegativesAndFewFalsePositives(t *testing.T) {
	for _, slots := range []int{minSlots, 1 << 10, 1 << 16} {
		r := rand.New(rand.NewPCG(uint64(slots), 1))
		f := newFilter(slots)
		pub := newFilter(slots)
		// The table adds at most three quarters of its slot count before it
		// rebuilds: the filter's worst load.
		keys := make([]uint64, slots*3/4)
		for i := range keys {
			keys[i] = fixHash(r.Uint64())
			f.addUnpublished(keys[i])
			pub.add(keys[i])
		}
		assert.Equal(t, f.w, pub.w, "add and addUnpublished set the same bits")
		for _, k := range keys {
			require.True(t, f.mayContain(k), "false negative for %x", k)
		}
		// About 0.5% expected at this load (10.7 bits per key, 8 bits set).
		fp := fpRate(&f, rand.New(rand.NewPCG(99, uint64(slots))), 200_000)
		t.Logf("%d slots, %d keys: %.3f%% false positives", slots, len(keys), 100*fp)
		assert.Less(t, fp, 0.02, "slots=%d", slots)
	}
}

func TestFilterEmptyRejectsEverything(t *testing.T) {
	f := newFilter(1 << 12)
	assert.Zero(t, fpRate(&f, rand.New(rand.NewPCG(1, 2)), 10_000))
}

func TestFilterSizeIsOneBytePerSlot(t *testing.T) {
	for _, n := range []int{minSlots, 1 << 12, 1 << 21} {
		f := newFilter(n)
		assert.Equal(t, n, len(f.w)*8, "bytes for %d slots", n)
		assert.EqualValues(t, len(f.w)/filterWords-1, f.mask)
	}
}
