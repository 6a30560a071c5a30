// Command ratios reads `go test -bench -benchmem` output on stdin and prints
// a Markdown table with, for each benchmark, the median over its runs of
// ns/op, B/op and allocs/op, and the ratio of its median time to the median
// of its baseline: the sibling sub-benchmark named "raw" (for example
// Verify/ES256/credence against Verify/ES256/raw).
//
// On a shared machine the load drifts during a run, so it also prints the
// median of paired ratios. For a benchmark that reports an "x-raw" metric
// (the interleaved benchmarks, which time the contender and the raw
// primitive alternately in the same loop) that is the median of x-raw, and
// the baseline time is its "raw-ns/op" metric. Otherwise the i-th result is
// divided by the i-th result of the baseline: with -count N, go test runs
// every sub-benchmark of a benchmark function once per round, so the two
// were measured seconds apart, under about the same load.
//
//	go test -run '^$' -bench . -benchmem -count 6 -benchtime 0.3s | go run ./cmd/ratios
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	base := flag.String("base", "raw", "name of the baseline sub-benchmark")
	flag.Parse()
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	if len(res) == 0 {
		fmt.Fprintln(os.Stderr, "ratios: no benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, res, *base)
}

// result gathers every run of one benchmark.
type result struct {
	name    string // without "Benchmark" and the -GOMAXPROCS suffix
	metrics map[string][]float64
}

func (r *result) get(unit string) []float64 { return r.metrics[unit] }

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+((?:\s+[0-9.e+-]+ \S+)+)\s*$`)

// parse collects results in the order benchmarks first appear.
func parse(r io.Reader) ([]*result, error) {
	var out []*result
	byName := map[string]*result{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		if len(fields)%2 != 0 {
			continue
		}
		res := byName[m[1]]
		if res == nil {
			res = &result{name: m[1], metrics: map[string][]float64{}}
			byName[m[1]] = res
			out = append(out, res)
		}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m[1], err)
			}
			res.metrics[fields[i+1]] = append(res.metrics[fields[i+1]], v)
		}
	}
	return out, sc.Err()
}

// median returns the median of xs, or -1 when there is none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// baseline names the sibling "raw" benchmark of name, or "" when name has
// no parent.
func baseline(name, base string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ""
	}
	return name[:i+1] + base
}

func write(w io.Writer, res []*result, base string) {
	byName := map[string]*result{}
	for _, r := range res {
		byName[r.name] = r
	}
	fmt.Fprintln(w, "| benchmark | runs | median time/op | raw time/op | × raw (medians) | × raw (paired) | B/op | allocs/op |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range res {
		ns := median(r.get("ns/op"))
		ratio, paired, rawTime := "—", "—", "—"
		bytes, allocs := median(r.get("B/op")), median(r.get("allocs/op"))
		if x := r.get("x-raw"); len(x) > 0 {
			// Allocations of an interleaved benchmark mix both contenders.
			bytes, allocs = -1, -1
			if b := median(r.get("raw-ns/op")); b > 0 {
				ratio, rawTime = formatRatio(ns/b), formatTime(b)
			}
			paired = formatRatio(median(x))
		} else if b := byName[baseline(r.name, base)]; b != nil && median(b.get("ns/op")) > 0 {
			ratio, rawTime = formatRatio(ns/median(b.get("ns/op"))), formatTime(median(b.get("ns/op")))
			if p := pairedRatios(r.get("ns/op"), b.get("ns/op")); len(p) > 0 {
				paired = formatRatio(median(p))
			}
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n",
			r.name, len(r.get("ns/op")), formatTime(ns), rawTime, ratio, paired, formatCount(bytes), formatCount(allocs))
	}
}

// pairedRatios divides the i-th run by the i-th baseline run. It returns
// nothing when the counts differ: the runs cannot be paired.
func pairedRatios(xs, base []float64) []float64 {
	if len(xs) != len(base) {
		return nil
	}
	out := make([]float64, 0, len(xs))
	for i, x := range xs {
		if base[i] > 0 {
			out = append(out, x/base[i])
		}
	}
	return out
}

func formatTime(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func formatRatio(r float64) string {
	if r < 0.1 {
		return fmt.Sprintf("%.2f %%", 100*r)
	}
	return fmt.Sprintf("%.3f", r)
}

func formatCount(v float64) string {
	if v < 0 {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
