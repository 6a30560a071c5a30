package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
)

// TestFeedGapsAreDetected damages the store behind a follower's back in each
// way the issue names, and checks that Changes answers ErrGap (so the List
// resynchronises) rather than carrying on as if nothing was missed.
func TestFeedGapsAreDetected(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	now := time.Now()
	exp := now.Add(time.Hour)
	tok := func(id string) blocklist.Entry {
		return blocklist.Entry{Kind: blocklist.KindToken, ID: id, ExpiresAt: exp}
	}
	for _, tc := range []struct {
		name   string
		damage func(ctx context.Context, t *testing.T, prefix string)
	}{
		{"StreamTrimmedPastTheCursor", func(ctx context.Context, t *testing.T, p string) {
			require.NoError(t, rdb.XTrimMaxLen(ctx, "{"+p+"}:feed", 1).Err())
		}},
		{"ServerRestartedEmpty", func(ctx context.Context, t *testing.T, p string) {
			require.NoError(t, rdb.FlushAll(ctx).Err())
		}},
		{"FeedWentBackwardsUnderTheSameEpoch", func(ctx context.Context, t *testing.T, p string) {
			require.NoError(t, rdb.Del(ctx, "{"+p+"}:feed").Err())
			require.NoError(t, rdb.Set(ctx, "{"+p+"}:seq", 0, 0).Err())
		}},
		{"NewEntriesBehindTheCursorsStreamID", func(ctx context.Context, t *testing.T, p string) {
			// As after a restart on a server whose clock is behind: the
			// next entry's ID sorts before the cursor's, so XREAD from
			// the cursor never returns it.
			epoch, err := rdb.Get(ctx, "{"+p+"}:epoch").Result()
			require.NoError(t, err)
			require.NoError(t, rdb.Del(ctx, "{"+p+"}:feed").Err())
			require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "{" + p + "}:feed", ID: "1-1",
				Values: []any{"s", 3, "e", epoch, "f", "t:x", "v", "99999999999:0"}}).Err())
			require.NoError(t, rdb.Set(ctx, "{"+p+"}:seq", 3, 0).Err())
		}},
		{"EpochReplaced", func(ctx context.Context, t *testing.T, p string) {
			require.NoError(t, rdb.Set(ctx, "{"+p+"}:epoch", "someone-else", 0).Err())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := "gap-" + tc.name
			s, err := redisstore.New(rdb, redisstore.WithPrefix(prefix))
			require.NoError(t, err)
			require.NoError(t, s.Revoke(ctx, now, tok("a")))
			require.NoError(t, s.Revoke(ctx, now, tok("b")))
			snap, err := s.Snapshot(ctx, now)
			require.NoError(t, err)
			require.NoError(t, s.Revoke(ctx, now, tok("c")))
			require.NoError(t, s.Revoke(ctx, now, tok("d")))

			tc.damage(ctx, t, prefix)
			var gapErr error
			cur := snap.Cursor
			for range 5 { // a heartbeat may come first
				_, next, err := s.Changes(ctx, cur, 20*time.Millisecond)
				if err != nil {
					gapErr = err
					break
				}
				cur = next
			}
			require.ErrorIs(t, gapErr, blocklist.ErrGap)
			require.NotErrorIs(t, gapErr, redis.Nil)
		})
	}
}

// loseLastWrites simulates a failover to a Redis replica that had not yet
// received the last n writes of prefix p: their feed entries, their hash
// fields and their seq are gone; the epoch (replicated long ago) is kept.
func loseLastWrites(ctx context.Context, t *testing.T, rdb redis.UniversalClient, p string, fields ...string) {
	t.Helper()
	tag := "{" + p + "}"
	last, err := rdb.XRevRangeN(ctx, tag+":feed", "+", "-", int64(len(fields))).Result()
	require.NoError(t, err)
	require.Len(t, last, len(fields))
	for _, m := range last {
		require.NoError(t, rdb.XDel(ctx, tag+":feed", m.ID).Err())
	}
	require.NoError(t, rdb.HDel(ctx, tag+":entries", fields...).Err())
	require.NoError(t, rdb.DecrBy(ctx, tag+":seq", int64(len(fields))).Err())
}

// TestFeedThatWentBackwardsIsNotMistakenForOldNews: a follower has read
// seqs 1..4; a failover loses writes 3 and 4; the new primary then
// accepts two revocations, which get seqs 3 and 4 again, with stream IDs
// after the follower's position. They are new revocations, not ones the
// follower has seen: Changes must deliver them or report a gap, never
// skip them as already applied.
func TestFeedThatWentBackwardsIsNotMistakenForOldNews(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	now := time.Now()
	tok := func(id string) blocklist.Entry {
		return blocklist.Entry{Kind: blocklist.KindToken, ID: id, ExpiresAt: now.Add(time.Hour)}
	}
	s, err := redisstore.New(rdb, redisstore.WithPrefix("failover"))
	require.NoError(t, err)
	snap, err := s.Snapshot(ctx, now)
	require.NoError(t, err)
	cur := snap.Cursor
	for _, id := range []string{"a", "b", "lost-c", "lost-d"} {
		require.NoError(t, s.Revoke(ctx, now, tok(id)))
	}
	for cur.Seq < 4 {
		_, next, err := s.Changes(ctx, cur, time.Second)
		require.NoError(t, err)
		cur = next
	}

	loseLastWrites(ctx, t, rdb, "failover", "t:lost-c", "t:lost-d")
	require.NoError(t, s.Revoke(ctx, now, tok("new-e"), tok("new-f")))

	seen := map[string]bool{}
	for range 5 { // heartbeats may come first
		chs, next, err := s.Changes(ctx, cur, 20*time.Millisecond)
		if err != nil {
			require.ErrorIs(t, err, blocklist.ErrGap, "a gap makes the follower resynchronise, which brings e and f")
			return
		}
		for _, ch := range chs {
			seen[ch.Entry.ID] = true
		}
		cur = next
	}
	assert.True(t, seen["new-e"] && seen["new-f"], "revocations accepted by the new primary were skipped: %v", seen)
}

// TestReplicaAppliesRevocationsMadeAfterAFailoverThatLostWrites is the
// same failover seen by two instances: b has applied c and d; they are lost
// with the old primary; a then revokes e and f on the new one. b must
// enforce e and f (it keeps c and d too: it never forgets).
func TestReplicaAppliesRevocationsMadeAfterAFailoverThatLostWrites(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a, b := newList(t, srv.Client()), newList(t, srv.Client())
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"a", "b", "lost-c", "lost-d"} {
		require.NoError(t, a.RevokeToken(ctx, id, exp))
	}
	require.Eventually(t, func() bool { return isRevoked(b, jwt.Claims{ID: "lost-d"}) }, eventually, time.Millisecond)

	loseLastWrites(ctx, t, srv.Client(), "app", "t:lost-c", "t:lost-d")
	s, err := redisstore.New(srv.Client(), redisstore.WithPrefix("app"))
	require.NoError(t, err)
	require.NoError(t, s.Revoke(ctx, time.Now(),
		blocklist.Entry{Kind: blocklist.KindToken, ID: "new-e", ExpiresAt: exp},
		blocklist.Entry{Kind: blocklist.KindToken, ID: "new-f", ExpiresAt: exp}))

	require.Eventually(t, func() bool {
		return isRevoked(b, jwt.Claims{ID: "new-e"}) && isRevoked(b, jwt.Claims{ID: "new-f"})
	}, eventually, time.Millisecond, "revocations made on the new primary reach every replica")
	assert.True(t, isRevoked(b, jwt.Claims{ID: "lost-c"}), "and b keeps what it had")
}
