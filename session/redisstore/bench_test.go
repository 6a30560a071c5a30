package redisstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
)

// latencies collects per-operation durations and reports p50 and p99.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	q := func(p float64) float64 { return float64(l.d[int(p*float64(len(l.d)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.50), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
}

type benchEnv struct {
	rdb   *redis.Client
	m     *session.Manager
	token string
	id    string
}

func newBenchEnv(b *testing.B, opts ...session.Option) *benchEnv {
	b.Helper()
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 16})
	b.Cleanup(func() { _ = rdb.Close() })
	st, err := redisstore.New(rdb)
	if err != nil {
		b.Fatal(err)
	}
	m, err := session.NewManager(st, opts...)
	if err != nil {
		b.Fatal(err)
	}
	s, token, err := m.Create(context.Background(), "alice", benchClient)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{rdb: rdb, m: m, token: token, id: s.ID}
}

var benchClient = session.ClientInfo{UserAgent: "bench"}

// BenchmarkValidate: Validate against Redis on loopback, within the touch
// interval (one read script on the master, no write). The baseline is the floor: one raw
// HGETALL of the same record, i.e. a bare round trip.
func BenchmarkValidate(b *testing.B) {
	b.Run("redis/sequential", func(b *testing.B) {
		e := newBenchEnv(b)
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			if _, err := e.m.Validate(ctx, e.token, benchClient); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		l := &latencies{d: lat}
		l.report(b)
	})
	b.Run("redis/parallel", func(b *testing.B) {
		e := newBenchEnv(b)
		ctx := context.Background()
		var all latencies
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var lat []time.Duration
			for pb.Next() {
				t0 := time.Now()
				if _, err := e.m.Validate(ctx, e.token, benchClient); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			all.add(lat)
		})
		b.StopTimer()
		all.report(b)
	})
	b.Run("baseline-hgetall/sequential", func(b *testing.B) {
		e := newBenchEnv(b)
		ctx := context.Background()
		key := "credence:session:{" + session.RouteTag("alice") + "}:s:" + e.id
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			if err := e.rdb.HGetAll(ctx, key).Err(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		l := &latencies{d: lat}
		l.report(b)
	})
	b.Run("baseline-hgetall/parallel", func(b *testing.B) {
		e := newBenchEnv(b)
		ctx := context.Background()
		key := "credence:session:{" + session.RouteTag("alice") + "}:s:" + e.id
		var all latencies
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var lat []time.Duration
			for pb.Next() {
				t0 := time.Now()
				if err := e.rdb.HGetAll(ctx, key).Err(); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			all.add(lat)
		})
		b.StopTimer()
		all.report(b)
	})
}

// BenchmarkCreateUnderLimit: logins for a user already at a limit of 5 with
// EvictOldest, so every Create evicts one session (one script, then one DEL
// of the evicted record).
func BenchmarkCreateUnderLimit(b *testing.B) {
	for _, policy := range []session.LimitPolicy{session.EvictOldest, session.RejectNew} {
		b.Run(policy.String(), func(b *testing.B) {
			e := newBenchEnv(b, session.WithMaxSessions(5, policy))
			ctx := context.Background()
			for range 4 {
				if _, _, err := e.m.Create(ctx, "alice", benchClient); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				_, _, err := e.m.Create(ctx, "alice", benchClient)
				if err != nil && policy == session.EvictOldest {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			l := &latencies{d: lat}
			l.report(b)
		})
	}
}
