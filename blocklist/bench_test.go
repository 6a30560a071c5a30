package blocklist

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
)

// benchEntries is the size of the replica the IsRevoked benchmarks run
// against, as the issue asks: a million live jti entries.
const benchEntries = 1_000_000

var bench struct {
	once          sync.Once
	list          *List
	bytesPerEntry float64
	hits, misses  []jwt.Claims // a hot working set: 1,024 tokens
	spread        []jwt.Claims // 65,536 hits spread over the whole table
	missSpread    []jwt.Claims // 65,536 misses, each probing its own place in the table
	missSpreadJTI []jwt.Claims // the same with no sid and no sub: the jti table's share
}

func benchJTI(i int) string { return fmt.Sprintf("jti-%016x", uint64(i)*0x9E3779B97F4A7C15) }

// setupBench builds one List with 1e6 revoked jtis (plus 1,000 revoked
// sessions and subjects, so that every lookup of IsRevoked runs) and
// measures the heap the jti entries take.
func setupBench(b *testing.B) {
	bench.once.Do(func() {
		l, err := New(NewMemoryStore())
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		exp := now.Add(24 * time.Hour)
		for i := range 1000 {
			l.apply(Entry{Kind: KindSession, ID: fmt.Sprint("sid-", i), ExpiresAt: exp}, now)
			l.apply(Entry{Kind: KindSubject, ID: fmt.Sprint("user-", i), ExpiresAt: exp, Watermark: now}, now)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range benchEntries {
			l.apply(Entry{Kind: KindToken, ID: benchJTI(i), ExpiresAt: exp}, now)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench.bytesPerEntry = float64(after.HeapAlloc-before.HeapAlloc) / benchEntries
		bench.list = l
		for i := range 1024 {
			c := jwt.Claims{Subject: fmt.Sprint("user-x", i), SessionID: fmt.Sprint("sid-x", i), IssuedAt: now}
			c.ID = benchJTI(i * 977 % benchEntries)
			bench.hits = append(bench.hits, c)
			c.ID = fmt.Sprintf("jti-miss-%012x", i)
			bench.misses = append(bench.misses, c)
		}
		for i := range 1 << 16 {
			bench.spread = append(bench.spread, jwt.Claims{ID: benchJTI(i * 15 % benchEntries), Subject: "user-y", SessionID: "sid-y", IssuedAt: now})
			bench.missSpread = append(bench.missSpread, jwt.Claims{ID: fmt.Sprintf("jti-miss-%012x", i), Subject: "user-y", SessionID: "sid-y", IssuedAt: now})
			bench.missSpreadJTI = append(bench.missSpreadJTI, jwt.Claims{ID: fmt.Sprintf("jti-miss-%012x", i), IssuedAt: now})
		}
	})
}

func BenchmarkIsRevoked(b *testing.B) {
	setupBench(b)
	l := bench.list
	ctx := context.Background()
	run := func(name string, set []jwt.Claims, want bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			mask := len(set) - 1
			i := 0
			for b.Loop() {
				r, err := l.IsRevoked(ctx, &set[i&mask])
				if err != nil || r != want {
					b.Fatalf("IsRevoked = %v, %v; want %v", r, err, want)
				}
				i++
			}
			b.ReportMetric(bench.bytesPerEntry, "B/entry")
		})
		b.Run(name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			mask := len(set) - 1
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					r, err := l.IsRevoked(ctx, &set[i&mask])
					if err != nil || r != want {
						b.Errorf("IsRevoked = %v, %v; want %v", r, err, want)
						return
					}
					i++
				}
			})
			b.ReportMetric(bench.bytesPerEntry, "B/entry")
		})
	}
	run("Hit", bench.hits, true)
	run("Miss", bench.misses, false)
	run("HitSpread", bench.spread, true)
	// The case a real service sees most: a token that is not revoked, whose
	// probe lands on a cache line no recent lookup touched.
	run("MissSpread", bench.missSpread, false)
	run("MissSpreadJTIOnly", bench.missSpreadJTI, false)
}
