// Command ratios reads `go test -bench -benchmem` output on stdin and prints
// a Markdown table with, for each benchmark, the median over its runs of
// ns/op, B/op and allocs/op, and the ratio of its median time to the median
// of its baseline: the sibling sub-benchmark named "raw" (for example
// Verify/ES256/credence against Verify/ES256/raw).
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
	name          string // without "Benchmark" and the -GOMAXPROCS suffix
	ns, bytes, al []float64
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.e+]+) ns/op(?:\s+([0-9.]+) B/op)?(?:\s+([0-9.]+) allocs/op)?`)

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
		res := byName[m[1]]
		if res == nil {
			res = &result{name: m[1]}
			byName[m[1]] = res
			out = append(out, res)
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m[1], err)
		}
		res.ns = append(res.ns, ns)
		if m[3] != "" {
			v, _ := strconv.ParseFloat(m[3], 64)
			res.bytes = append(res.bytes, v)
		}
		if m[4] != "" {
			v, _ := strconv.ParseFloat(m[4], 64)
			res.al = append(res.al, v)
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
	med := map[string]float64{}
	for _, r := range res {
		med[r.name] = median(r.ns)
	}
	fmt.Fprintln(w, "| benchmark | runs | median time/op | × raw | B/op | allocs/op |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range res {
		ratio := "—"
		if b, ok := med[baseline(r.name, base)]; ok && b > 0 {
			ratio = formatRatio(med[r.name] / b)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n",
			r.name, len(r.ns), formatTime(med[r.name]), ratio, formatCount(median(r.bytes)), formatCount(median(r.al)))
	}
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
