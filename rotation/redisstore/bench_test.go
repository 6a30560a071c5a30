package redisstore_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/redisstore"
	"github.com/credence-go/credence/rotation/rotationtest"
)

// Run the figures quoted in the README with:
//
//	CREDENCE_REQUIRE_REDIS=1 go test -run '^$' -bench . -benchtime 10000x -count 5 ./rotation/redisstore/
//
// Each exchange's latency is recorded; p50 and p99 are reported in µs, with
// exchanges per second over the whole run. "parallel64" runs 64
// goroutines, each refreshing its own family in a closed loop;
// "herd64-one-family" has 64 goroutines replaying one token within the
// grace period, all on one key; "burst64" releases 64 goroutines at once,
// one exchange each, round after round, as the research lab measured: the
// latency of a burst of concurrent refreshes rather than of a saturated
// closed loop. The PING benchmarks are the baseline: one bare round trip on
// the same client, under the same concurrency.

const contention = 64

// latencies collects per-operation durations from many goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	pct := func(p float64) float64 {
		return float64(l.all[int(p*float64(len(l.all)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(len(l.all))/elapsed.Seconds(), "ops/s")
}

// parallel runs body on exactly n goroutines (RunParallel's goroutine count
// is a multiple of GOMAXPROCS).
func parallel(b *testing.B, n int, setup func() func() error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((n + procs - 1) / procs)
	var lat latencies
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		op := setup()
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := op(); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		lat.add(local)
	})
	lat.report(b, time.Since(start))
}

// burst runs b.N ops in rounds of n: in each round, n goroutines are
// released together and each runs one op (the research lab's method: a burst of concurrent
// presenters, as when many clients refresh at the same moment).
func burst(b *testing.B, n int, ops []func() error) {
	var lat latencies
	b.ResetTimer()
	start := time.Now()
	for range max(1, b.N/n) {
		var wg sync.WaitGroup
		release := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				t0 := time.Now()
				if err := ops[i](); err != nil {
					b.Error(err)
					return
				}
				lat.add([]time.Duration{time.Since(t0)})
			}()
		}
		close(release)
		wg.Wait()
	}
	lat.report(b, time.Since(start))
}

func sequential(b *testing.B, op func() error) {
	var lat latencies
	local := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		local = append(local, time.Since(t0))
	}
	lat.add(local)
	lat.report(b, time.Since(start))
}

func newBenchRotator(b *testing.B, s rotation.Store, issuer rotation.AccessIssuer, opts ...rotation.Option) *rotation.Rotator {
	rot, err := rotation.New(s, issuer, append([]rotation.Option{rotation.WithMACKey(rotationtest.Key)}, opts...)...)
	require.NoError(b, err)
	return rot
}

// refresher returns an op that refreshes its own family, one rotation per
// call.
func refresher(b *testing.B, rot *rotation.Rotator) func() error {
	ctx := context.Background()
	p, err := rot.Issue(ctx, jwt.Claims{Subject: "bench"})
	require.NoError(b, err)
	return func() error {
		p, err = rot.Refresh(ctx, p.RefreshToken)
		return err
	}
}

func BenchmarkRefresh(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	stores := []struct {
		name  string
		store func() rotation.Store
	}{
		{"memory", func() rotation.Store { return rotation.NewMemoryStore() }},
		{"redis", func() rotation.Store {
			s, err := redisstore.New(rdb, redisstore.WithPrefix(fmt.Sprintf("bench%d:", prefixes.Add(1))))
			require.NoError(b, err)
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name+"/sequential", func(b *testing.B) {
			sequential(b, refresher(b, newBenchRotator(b, st.store(), &rotationtest.Issuer{})))
		})
		b.Run(st.name+"/parallel64", func(b *testing.B) {
			rot := newBenchRotator(b, st.store(), &rotationtest.Issuer{})
			parallel(b, contention, func() func() error { return refresher(b, rot) })
		})
		b.Run(st.name+"/burst64", func(b *testing.B) {
			rot := newBenchRotator(b, st.store(), &rotationtest.Issuer{})
			ops := make([]func() error, contention)
			for i := range ops {
				ops[i] = refresher(b, rot)
			}
			burst(b, contention, ops)
		})
		b.Run(st.name+"/herd64-one-family", func(b *testing.B) {
			rot := newBenchRotator(b, st.store(), &rotationtest.Issuer{}, rotation.WithGracePeriod(rotation.MaxGracePeriod))
			p, err := rot.Issue(ctx, jwt.Claims{Subject: "bench"})
			require.NoError(b, err)
			_, err = rot.Refresh(ctx, p.RefreshToken)
			require.NoError(b, err)
			parallel(b, contention, func() func() error {
				return func() error { _, err := rot.Refresh(ctx, p.RefreshToken); return err }
			})
		})
	}

	// With a real ES256 issuer: the access token's signature joins the cost.
	key, err := jwt.GenerateKey(jwt.ES256)
	require.NoError(b, err)
	ks, err := jwt.NewKeySet(key)
	require.NoError(b, err)
	issuer, err := jwt.NewIssuer(ks, jwt.WithIssuer("https://bench"), jwt.WithAudience("api"))
	require.NoError(b, err)
	b.Run("redis-es256/sequential", func(b *testing.B) {
		sequential(b, refresher(b, newBenchRotator(b, stores[1].store(), issuer)))
	})
	b.Run("redis-es256/parallel64", func(b *testing.B) {
		rot := newBenchRotator(b, stores[1].store(), issuer)
		parallel(b, contention, func() func() error { return refresher(b, rot) })
	})
}

// BenchmarkBaselinePing is one bare round trip on the same kind of client:
// the floor under any one-round-trip Refresh.
func BenchmarkBaselinePing(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	ping := func(c *redis.Client) func() error { return func() error { return c.Ping(ctx).Err() } }
	b.Run("sequential", func(b *testing.B) { sequential(b, ping(rdb)) })
	b.Run("parallel64", func(b *testing.B) {
		parallel(b, contention, func() func() error { return ping(rdb) })
	})
	b.Run("burst64", func(b *testing.B) {
		ops := make([]func() error, contention)
		for i := range ops {
			ops[i] = ping(rdb)
		}
		burst(b, contention, ops)
	})
}
