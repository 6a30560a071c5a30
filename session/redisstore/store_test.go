package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
	"github.com/credence-go/credence/session/sessiontest"
)

// prefixes gives every conformance case its own keyspace on a shared server.
var prefixSeq atomic.Int64

func factory(rdb redis.UniversalClient) sessiontest.Factory {
	return func(t *testing.T) session.Store {
		s, err := redisstore.New(rdb, redisstore.WithPrefix(fmt.Sprintf("t%d:", prefixSeq.Add(1))))
		require.NoError(t, err)
		return s
	}
}

// onEachTopology runs fn against a single Redis node and a Redis Cluster;
// newClient returns a new client of that deployment (one per instance).
func onEachTopology(t *testing.T, fn func(t *testing.T, newClient func() redis.UniversalClient)) {
	t.Run("single", func(t *testing.T) {
		s := redistest.Start(t)
		fn(t, func() redis.UniversalClient { return s.Client() })
	})
	t.Run("cluster", func(t *testing.T) {
		c := redistest.StartCluster(t)
		fn(t, func() redis.UniversalClient { return c.Client() })
	})
}

func TestConformanceSingleNode(t *testing.T) {
	srv := redistest.Start(t)
	sessiontest.Run(t, factory(srv.Client()))
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	sessiontest.Run(t, factory(c.Client()))
}

func TestNewRejectsBadOptions(t *testing.T) {
	srv := redistest.Start(t)
	_, err := redisstore.New(nil)
	require.ErrorIs(t, err, session.ErrInvalidOption)
	_, err = redisstore.New(srv.Client(), redisstore.WithPrefix("a{b}:"))
	require.ErrorIs(t, err, session.ErrInvalidOption)
	_, err = redisstore.New(srv.Client(), redisstore.WithGracePeriod(0))
	require.ErrorIs(t, err, session.ErrInvalidOption)
}

// A server that is down is a store error, never a pass or a "not found".
func TestServerDownIsStoreError(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	clock := sessiontest.NewClock(time.Now())
	m, err := session.NewManager(st, session.WithClock(clock.Now))
	require.NoError(t, err)
	ctx := context.Background()
	_, token, err := m.Create(ctx, "alice", session.ClientInfo{})
	require.NoError(t, err)
	srv.Stop()
	_, err = m.Validate(ctx, token, session.ClientInfo{})
	require.ErrorIs(t, err, session.ErrStore)
	require.NotErrorIs(t, err, session.ErrNotFound)
	require.ErrorIs(t, m.RevokeAll(ctx, "alice"), session.ErrStore)
	_, _, err = m.Create(ctx, "alice", session.ClientInfo{})
	require.ErrorIs(t, err, session.ErrStore)
}

// The data Redis holds is useless to whoever reads it: no key or value
// contains the secret.
func TestStoreHoldsNoSecret(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	m, err := session.NewManager(st)
	require.NoError(t, err)
	ctx := context.Background()
	s, token, err := m.Create(ctx, "alice", session.ClientInfo{UserAgent: "ua"})
	require.NoError(t, err)
	secret := token[len(s.ID)+1:]
	keys, err := rdb.Keys(ctx, "*").Result() // test only: the store itself never scans
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		require.NotContains(t, k, secret)
		vals, err := rdb.HGetAll(ctx, k).Result()
		require.NoError(t, err)
		for f, v := range vals {
			require.NotContains(t, f, secret)
			require.NotContains(t, v, secret)
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		require.Positive(t, ttl, "every key expires: %s", k)
	}
}

// counter is a go-redis hook counting the commands that reach the server.
type counter struct {
	mu   sync.Mutex
	cmds []string
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		name := cmd.Name()
		if args := cmd.Args(); name == "evalsha" && len(args) > 1 {
			name = fmt.Sprintf("evalsha %.8v", args[1]) // which script
		}
		c.mu.Lock()
		c.cmds = append(c.cmds, name)
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		c.cmds = append(c.cmds, fmt.Sprintf("pipeline(%d)", len(cmds)))
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.cmds
	c.cmds = nil
	return out
}

// Validate is one round trip (one read-only script) and no write within the
// touch interval; past it, one more round trip (another script) records the
// activity.
func TestValidateIsOneRoundTrip(t *testing.T) {
	onEachTopology(t, func(t *testing.T, newClient func() redis.UniversalClient) {
		rdb := newClient()
		ctx := context.Background()
		st, err := redisstore.New(rdb)
		require.NoError(t, err)
		clock := sessiontest.NewClock(time.Now())
		m, err := session.NewManager(st, session.WithClock(clock.Now), session.WithTouchInterval(time.Minute))
		require.NoError(t, err)
		ci := session.ClientInfo{UserAgent: "ua"}
		_, token, err := m.Create(ctx, "alice", ci)
		require.NoError(t, err)
		// Warm the script cache (read and touch) so that only steady-state
		// commands are counted.
		clock.Advance(time.Minute)
		_, err = m.Validate(ctx, token, ci)
		require.NoError(t, err)
		s, err := m.Validate(ctx, token, ci)
		require.NoError(t, err)

		c := &counter{}
		rdb.AddHook(c)
		clock.Advance(59 * time.Second)
		for range 10 {
			_, err = m.Validate(ctx, token, ci)
			require.NoError(t, err)
		}
		reads := c.take()
		require.Len(t, reads, 10, "one command per Validate within the touch interval")
		require.Equal(t, repeat(reads[0], 10), reads, "the same (read) script every time")
		got, err := st.Get(ctx, clock.Now(), s.ID)
		require.NoError(t, err)
		require.True(t, got.LastSeenAt.Equal(s.LastSeenAt), "no write within the touch interval")

		clock.Advance(time.Second) // the touch interval has passed
		_ = c.take()
		_, err = m.Validate(ctx, token, ci)
		require.NoError(t, err)
		cmds := c.take()
		require.Len(t, cmds, 2, "read, then the touch: once per interval")
		require.Equal(t, reads[0], cmds[0])
		require.NotEqual(t, reads[0], cmds[1], "the touch is another script")
		got, err = st.Get(ctx, clock.Now(), s.ID)
		require.NoError(t, err)
		require.True(t, got.LastSeenAt.Equal(clock.Now()))
		_ = c.take()
	})
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
