package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
	"github.com/credence-go/credence/session/sessiontest"
)

// Without a session limit (the default) a user can hold more sessions than
// Lua can unpack into one command (about 8000). Someone who has stolen a
// password can log in that often; "log out everywhere" must still end every
// session rather than fail and leave them all live.
func TestRevokeAllWithMoreSessionsThanLuaUnpacks(t *testing.T) {
	onEachTopology(t, func(t *testing.T, newClient func() redis.UniversalClient) {
		rdb := newClient()
		ctx := context.Background()
		st, err := redisstore.New(rdb)
		require.NoError(t, err)
		clock := sessiontest.NewClock(time.Now())
		m, err := session.NewManager(st, session.WithClock(clock.Now))
		require.NoError(t, err)
		ci := session.ClientInfo{UserAgent: "ua"}
		_, token, err := m.Create(ctx, "mallory", ci)
		require.NoError(t, err)
		// Logging in 9000 times through Create works too but takes far
		// longer; write the same records directly.
		const n = 9000
		for _, user := range []string{"mallory", "trudy"} {
			populate(t, rdb, user, clock.Now(), n)
		}
		list, err := m.List(ctx, "mallory")
		require.NoError(t, err)
		require.Len(t, list, n+1)

		// Eviction down to a newly configured limit ends them all too.
		limited, err := session.NewManager(st, session.WithClock(clock.Now), session.WithMaxSessions(1, session.EvictOldest))
		require.NoError(t, err)
		clock.Advance(time.Millisecond)
		kept, _, err := limited.Create(ctx, "trudy", ci)
		require.NoError(t, err)
		list, err = m.List(ctx, "trudy")
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, kept.ID, list[0].ID)

		require.NoError(t, m.RevokeAll(ctx, "mallory"))
		list, err = m.List(ctx, "mallory")
		require.NoError(t, err)
		require.Empty(t, list)
		_, err = m.Validate(ctx, token, ci)
		require.ErrorIs(t, err, session.ErrNotFound)
	})
}

// populate writes n sessions of user as Create would, without Create's
// per-call scan of the index (quadratic over n logins).
func populate(t *testing.T, rdb redis.UniversalClient, user string, now time.Time, n int) {
	t.Helper()
	ctx := context.Background()
	exp := strconv.FormatInt(now.Add(30*time.Minute).UnixMilli(), 10)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	tag := session.RouteTag(user)
	meta := "credence:session:{" + tag + "}:m"
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for range n {
			id, err := session.NewID(user)
			if err != nil {
				return err
			}
			p.HSet(ctx, "credence:session:{"+tag+"}:s:"+id,
				"uid", user, "vh", "00000000000000000000000000000000000000000000000000000000000000ff",
				"c", ms, "ls", ms, "aa", ms, "ie", exp,
				"ae", strconv.FormatInt(now.Add(12*time.Hour).UnixMilli(), 10), "ip", "", "ua", "ua", "cc", "", "su", "0")
			p.HSet(ctx, meta, id, ms+":"+exp+":"+user)
		}
		return nil
	})
	require.NoError(t, err)
}
