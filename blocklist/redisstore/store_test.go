package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/blocklisttest"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/redistest"
)

var prefixes atomic.Int64

// factory returns a new, empty store on rdb for each call, under its own
// prefix.
func factory(rdb redis.UniversalClient) func(t *testing.T) blocklist.Store {
	return func(t *testing.T) blocklist.Store {
		s, err := redisstore.New(rdb, redisstore.WithPrefix(fmt.Sprintf("test:%d", prefixes.Add(1))))
		require.NoError(t, err)
		return s
	}
}

func TestConformanceSingleNode(t *testing.T) {
	srv := redistest.Start(t)
	blocklisttest.Run(t, factory(srv.Client()))
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	blocklisttest.Run(t, factory(c.Client()))
}

// TestLargeBatchOnAFreshServer sends more entries than one pipeline holds to
// a server whose script cache is empty (the NOSCRIPT path), as a replica
// republishing after a restart does: every entry is stored once and appears
// once in the feed.
func TestLargeBatchOnAFreshServer(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		rdb  func(t *testing.T) redis.UniversalClient
	}{
		{"SingleNode", func(t *testing.T) redis.UniversalClient { return redistest.Start(t).Client() }},
		{"Cluster", func(t *testing.T) redis.UniversalClient { return redistest.StartCluster(t).Client() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := tc.rdb(t)
			require.NoError(t, rdb.ScriptFlush(ctx).Err())
			s, err := redisstore.New(rdb)
			require.NoError(t, err)
			now := time.Now()
			snap, err := s.Snapshot(ctx, now)
			require.NoError(t, err)
			const n = 1300
			entries := make([]blocklist.Entry, n)
			for i := range entries {
				entries[i] = blocklist.Entry{Kind: blocklist.KindToken, ID: fmt.Sprint("j", i), ExpiresAt: now.Add(time.Hour)}
			}
			require.NoError(t, s.Revoke(ctx, now, entries...))
			after, err := s.Snapshot(ctx, now)
			require.NoError(t, err)
			require.Len(t, after.Entries, n)
			require.Equal(t, snap.Cursor.Seq+n, after.Cursor.Seq, "one feed entry per revocation, none twice")
		})
	}
}

// TestExpiredEntriesLeaveRedis: Redis holds no more than the live set (plus
// what the next write collects), by the callers' clock; no key grows with
// every revocation ever made.
func TestExpiredEntriesLeaveRedis(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	s, err := redisstore.New(rdb, redisstore.WithPrefix("gc"))
	require.NoError(t, err)
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := range 50 {
		require.NoError(t, s.Revoke(ctx, now, blocklist.Entry{Kind: blocklist.KindSession, ID: fmt.Sprint("s", i), ExpiresAt: now.Add(time.Minute)}))
	}
	require.EqualValues(t, 50, rdb.HLen(ctx, "{gc}:entries").Val())

	later := now.Add(2 * time.Minute)
	require.NoError(t, s.Revoke(ctx, later, blocklist.Entry{Kind: blocklist.KindToken, ID: "live", ExpiresAt: later.Add(time.Minute)}))
	require.EqualValues(t, 1, rdb.HLen(ctx, "{gc}:entries").Val(), "the expired entries were collected by the next write")
	require.EqualValues(t, 1, rdb.ZCard(ctx, "{gc}:expiry").Val())
}

// TestPrefixesKeepApplicationsApart: two stores with different prefixes on
// one Redis share nothing: neither entries nor feed.
func TestPrefixesKeepApplicationsApart(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	one, err := redisstore.New(rdb, redisstore.WithPrefix("app-one"))
	require.NoError(t, err)
	two, err := redisstore.New(rdb, redisstore.WithPrefix("app-two"))
	require.NoError(t, err)
	now := time.Now()
	snap2, err := two.Snapshot(ctx, now)
	require.NoError(t, err)
	require.NoError(t, one.Revoke(ctx, now, blocklist.Entry{Kind: blocklist.KindToken, ID: "j", ExpiresAt: now.Add(time.Minute)}))

	snap2b, err := two.Snapshot(ctx, now)
	require.NoError(t, err)
	require.Empty(t, snap2b.Entries)
	chs, _, err := two.Changes(ctx, snap2.Cursor, 20*time.Millisecond)
	require.NoError(t, err)
	require.Empty(t, chs)
	snap1, err := one.Snapshot(ctx, now)
	require.NoError(t, err)
	require.Len(t, snap1.Entries, 1)
}

// TestAFollowerFarBehindIsToldToTakeASnapshot: more than 64k changes
// behind, Changes answers ErrGap rather than reading them all; the List
// then catches up from a snapshot.
func TestAFollowerFarBehindIsToldToTakeASnapshot(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	s, err := redisstore.New(rdb, redisstore.WithPrefix("far"))
	require.NoError(t, err)
	now := time.Now()
	start, err := s.Snapshot(ctx, now)
	require.NoError(t, err)
	const n = 64*1024 + 1
	entries := make([]blocklist.Entry, n)
	for i := range entries {
		entries[i] = blocklist.Entry{Kind: blocklist.KindToken, ID: fmt.Sprint("j", i), ExpiresAt: now.Add(time.Hour)}
	}
	require.NoError(t, s.Revoke(ctx, now, entries...))
	_, _, err = s.Changes(ctx, start.Cursor, time.Second)
	require.ErrorIs(t, err, blocklist.ErrGap)
}
