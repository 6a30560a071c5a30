package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/internal/redistest"
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
