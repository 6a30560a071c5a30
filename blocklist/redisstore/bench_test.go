package redisstore_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
)

// BenchmarkLookup compares, in one run, IsRevoked on the local replica with
// the alternative it replaces: asking Redis on every request (one HMGET of
// the three fields, one round trip on loopback). The store holds 100,000
// revoked tokens (Redis's lookup cost does not depend on the count; the
// replica at 1e6 entries is measured by blocklist's BenchmarkIsRevoked).
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	srv := redistest.Start(b)
	rdb := srv.Client()
	s, err := redisstore.New(rdb, redisstore.WithPrefix("bench"))
	require.NoError(b, err)
	const n = 100_000
	now := time.Now()
	entries := make([]blocklist.Entry, n)
	for i := range entries {
		entries[i] = blocklist.Entry{Kind: blocklist.KindToken, ID: fmt.Sprintf("jti-%016x", i), ExpiresAt: now.Add(time.Hour)}
	}
	require.NoError(b, s.Revoke(ctx, now, entries...))
	l, err := blocklist.New(s)
	require.NoError(b, err)
	b.Cleanup(func() { _ = l.Close() })

	claims := func(id string) jwt.Claims {
		return jwt.Claims{ID: id, SessionID: "sid-1", Subject: "user-1", IssuedAt: now}
	}
	hit, miss := claims(entries[n/2].ID), claims("jti-not-revoked")

	for _, tc := range []struct {
		name string
		c    jwt.Claims
		want bool
	}{{"Hit", hit, true}, {"Miss", miss, false}} {
		b.Run("Replica/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r, err := l.IsRevoked(ctx, &tc.c); err != nil || r != tc.want {
					b.Fatal(r, err)
				}
			}
		})
		b.Run("Replica/"+tc.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r, err := l.IsRevoked(ctx, &tc.c); err != nil || r != tc.want {
						b.Error(r, err)
						return
					}
				}
			})
		})
		fields := []string{"t:" + tc.c.ID, "s:" + tc.c.SessionID, "u:" + tc.c.Subject}
		b.Run("RedisRoundTrip/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := rdb.HMGet(ctx, "{bench}:entries", fields...).Result()
				if err != nil || (v[0] != nil) != tc.want {
					b.Fatal(v, err)
				}
			}
		})
		b.Run("RedisRoundTrip/"+tc.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v, err := rdb.HMGet(ctx, "{bench}:entries", fields...).Result()
					if err != nil || (v[0] != nil) != tc.want {
						b.Error(v, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkPropagation measures, for each revocation, the time from the
// call to RevokeToken on one List to IsRevoked returning true on another
// List (another client, as another instance would be) on loopback Redis,
// and reports the p50 and p99. Run it with -benchtime=1000x.
func BenchmarkPropagation(b *testing.B) {
	ctx := context.Background()
	srv := redistest.Start(b)
	newList := func() *blocklist.List {
		s, err := redisstore.New(srv.Client(), redisstore.WithPrefix("prop"))
		require.NoError(b, err)
		l, err := blocklist.New(s)
		require.NoError(b, err)
		b.Cleanup(func() { _ = l.Close() })
		return l
	}
	a, other := newList(), newList()
	exp := time.Now().Add(time.Hour)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		c := jwt.Claims{ID: fmt.Sprintf("prop-%d", i)}
		i++
		start := time.Now()
		if err := a.RevokeToken(ctx, c.ID, exp); err != nil {
			b.Fatal(err)
		}
		for {
			r, err := other.IsRevoked(ctx, &c)
			if err != nil {
				b.Fatal(err)
			}
			if r {
				break
			}
			runtime.Gosched()
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "revocations")
}
