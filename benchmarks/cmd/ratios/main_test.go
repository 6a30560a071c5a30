package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkVerify/ES256/raw-2         	     200	     100 ns/op	     576 B/op	      10 allocs/op
BenchmarkVerify/ES256/credence-2    	     200	     110 ns/op	    2712 B/op	      23 allocs/op
BenchmarkVerify/ES256/cached-2      	     200	       2.5 ns/op	     240 B/op	       2 allocs/op
BenchmarkVerify/ES256/raw-2         	     200	     300 ns/op	     576 B/op	      10 allocs/op
BenchmarkVerify/ES256/credence-2    	     200	     130 ns/op	    2712 B/op	      24 allocs/op
BenchmarkVerify/ES256/raw-2         	     200	     120 ns/op	     576 B/op	      10 allocs/op
BenchmarkVerify/ES256/cached-2      	     200	       3.5 ns/op	     240 B/op	       2 allocs/op
BenchmarkLoose 100 5000 ns/op
PASS
`

func TestParseAndRatios(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, res, 4)
	require.Equal(t, "Verify/ES256/raw", res[0].name)
	require.Equal(t, []float64{100, 300, 120}, res[0].get("ns/op"))
	require.Equal(t, 120.0, median(res[0].get("ns/op")))
	require.Equal(t, 120.0, median(res[1].get("ns/op")))
	require.Equal(t, 23.5, median(res[1].get("allocs/op")))
	require.Equal(t, -1.0, median(res[3].get("B/op")))

	var out strings.Builder
	write(&out, res, "raw")
	got := out.String()
	require.Contains(t, got, "| Verify/ES256/raw | 3 | 120 ns | 120 ns | 1.000 | 1.000 | 576 | 10 |")
	// Two runs against three: no pairing.
	require.Contains(t, got, "| Verify/ES256/credence | 2 | 120 ns | 120 ns | 1.000 | — | 2712 | 23.5 |")
	require.Contains(t, got, "| Verify/ES256/cached | 2 | 3 ns | 120 ns | 2.50 % | — | 240 | 2 |")
	require.Contains(t, got, "| Loose | 1 | 5.0 µs | — | — | — | — | — |")
}

func TestPairedRatios(t *testing.T) {
	// The load changed between rounds: the medians come from different
	// rounds, the pairs from the same one.
	res, err := parse(strings.NewReader(`
BenchmarkV/raw-2 1 100 ns/op
BenchmarkV/lib-2 1 110 ns/op
BenchmarkV/raw-2 1 200 ns/op
BenchmarkV/lib-2 1 230 ns/op
BenchmarkV/raw-2 1 300 ns/op
BenchmarkV/lib-2 1 300 ns/op
`))
	require.NoError(t, err)
	var out strings.Builder
	write(&out, res, "raw")
	require.Contains(t, out.String(), "| V/lib | 3 | 230 ns | 200 ns | 1.150 | 1.100 | — | — |")
}

func TestBaseline(t *testing.T) {
	require.Equal(t, "Issue/RS256/raw", baseline("Issue/RS256/credence", "raw"))
	require.Equal(t, "", baseline("Loose", "raw"))
}

func TestInterleavedMetric(t *testing.T) {
	res, err := parse(strings.NewReader(`
BenchmarkInterleaved/ES256/credence-2   	     200	     110 ns/op	       100.0 raw-ns/op	         1.20 x-raw	  10 B/op	 1 allocs/op
BenchmarkInterleaved/ES256/credence-2   	     200	     220 ns/op	       200.0 raw-ns/op	         1.05 x-raw
BenchmarkInterleaved/ES256/credence-2   	     200	     330 ns/op	       300.0 raw-ns/op	         1.10 x-raw
`))
	require.NoError(t, err)
	var out strings.Builder
	write(&out, res, "raw")
	require.Contains(t, out.String(), "| Interleaved/ES256/credence | 3 | 220 ns | 200 ns | 1.100 | 1.100 | — | — |")
}
