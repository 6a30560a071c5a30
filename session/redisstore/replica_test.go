package redisstore_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
	"github.com/credence-go/credence/session/sessiontest"
)

// replicated starts a master and a replica of it and returns a cluster client
// that, like any client configured with ReadOnly, RouteByLatency or
// RouteRandomly, sends read-only commands to the replica. The returned
// function cuts the replica off, so that it keeps serving what it had: a
// replica lagging behind, made deterministic.
func replicated(t *testing.T) (*redis.ClusterClient, *redis.Client, func()) {
	t.Helper()
	ctx := context.Background()
	master, replica := redistest.Start(t), redistest.Start(t)
	host, port, err := net.SplitHostPort(master.Addr)
	require.NoError(t, err)
	mc := master.Client()
	// The default 5s delay before a diskless full sync would dominate the test.
	require.NoError(t, mc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err())
	rc := replica.Client()
	require.NoError(t, rc.Do(ctx, "REPLICAOF", host, port).Err())
	// WAIT returns once the replica has acknowledged the write, without a
	// fixed sleep; the first rounds may come before the link is up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		require.NoError(t, mc.Set(ctx, "sync-probe", "1", 0).Err())
		n, err := mc.Wait(ctx, 1, 200*time.Millisecond).Result()
		require.NoError(t, err)
		if n == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "replica never synced")
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: master.Addr}, {Addr: replica.Addr}}}}, nil
		},
		ReadOnly: true,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	cut := func() {
		n, err := mc.Wait(ctx, 1, 5*time.Second).Result()
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "replica caught up before the cut")
		require.NoError(t, rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err())
	}
	return rdb, mc, cut
}

// Validity is decided on the master, from the index entry: a client that
// reads from replicas must still refuse a session revoked or evicted on the
// master, however far behind the replica is.
func TestRevocationNotHiddenByReplicaLag(t *testing.T) {
	rdb, _, cut := replicated(t)
	ctx := context.Background()
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	clock := sessiontest.NewClock(time.Now())
	m, err := session.NewManager(st, session.WithClock(clock.Now), session.WithMaxSessions(2, session.EvictOldest))
	require.NoError(t, err)
	ci := session.ClientInfo{UserAgent: "ua"}

	revoked, tRevoked, err := m.Create(ctx, "alice", ci)
	require.NoError(t, err)
	_, tAll, err := m.Create(ctx, "bob", ci)
	require.NoError(t, err)
	_, tEvicted, err := m.Create(ctx, "carol", ci)
	require.NoError(t, err)
	clock.Advance(time.Millisecond)
	_, tKept, err := m.Create(ctx, "carol", ci)
	require.NoError(t, err)
	cut()

	require.NoError(t, m.Revoke(ctx, revoked.ID))
	require.NoError(t, m.RevokeAll(ctx, "bob"))
	clock.Advance(time.Millisecond)
	_, _, err = m.Create(ctx, "carol", ci) // evicts carol's oldest
	require.NoError(t, err)

	for name, tok := range map[string]string{"revoked": tRevoked, "revoked by RevokeAll": tAll, "evicted": tEvicted} {
		_, err := m.Validate(ctx, tok, ci)
		require.ErrorIs(t, err, session.ErrNotFound, name)
	}
	_, err = m.Validate(ctx, tKept, ci)
	require.NoError(t, err)

	// List ("your devices") agrees at once too.
	for user, want := range map[string]int{"alice": 0, "bob": 0, "carol": 2} {
		list, err := m.List(ctx, user)
		require.NoError(t, err)
		require.Len(t, list, want, user)
		for _, s := range list {
			require.NotEqual(t, tEvicted[:48], s.ID, "evicted session listed")
		}
	}
}

// dropDel is a go-redis hook that loses every plain DEL, as a connection
// failure between a script and its follow-up would.
type dropDel struct{}

func (dropDel) DialHook(next redis.DialHook) redis.DialHook { return next }

func (dropDel) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "del" {
			cmd.SetErr(errors.New("connection lost"))
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}

func (dropDel) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Eviction and RevokeAll end sessions in their script (the index entry goes)
// and delete the records in a follow-up DEL. If that DEL never happens, the
// surviving records must still be dead for every operation.
func TestRecordSurvivingItsIndexEntryIsDead(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	clock := sessiontest.NewClock(time.Now())
	m, err := session.NewManager(st, session.WithClock(clock.Now), session.WithMaxSessions(1, session.EvictOldest))
	require.NoError(t, err)
	ci := session.ClientInfo{UserAgent: "ua"}
	evicted, tEvicted, err := m.Create(ctx, "alice", ci)
	require.NoError(t, err)
	bob, tBob, err := m.Create(ctx, "bob", ci)
	require.NoError(t, err)

	rdb.AddHook(dropDel{})
	clock.Advance(time.Millisecond)
	kept, tKept, err := m.Create(ctx, "alice", ci) // evicts the first; its DEL is lost
	require.NoError(t, err)
	require.NoError(t, m.RevokeAll(ctx, "bob")) // DEL lost too
	for _, id := range []string{evicted.ID, bob.ID} {
		key := "credence:session:{" + id[:16] + "}:s:" + id
		n, err := rdb.Exists(ctx, key).Result()
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "the record survived: the test exercises what it claims")
	}

	clock.Advance(2 * time.Minute) // past the touch interval: Validate also tries to write
	for _, tok := range []string{tEvicted, tBob} {
		_, err := m.Validate(ctx, tok, ci)
		require.ErrorIs(t, err, session.ErrNotFound)
		_, err = m.Renew(ctx, tok)
		require.ErrorIs(t, err, session.ErrNotFound)
		_, err = m.Reauthenticate(ctx, tok)
		require.ErrorIs(t, err, session.ErrNotFound)
	}
	for user, want := range map[string][]string{"alice": {kept.ID}, "bob": nil} {
		list, err := m.List(ctx, user)
		require.NoError(t, err)
		var ids []string
		for _, s := range list {
			ids = append(ids, s.ID)
		}
		require.Equal(t, want, ids, user)
	}
	_, err = m.Validate(ctx, tKept, ci)
	require.NoError(t, err)
	clock.Advance(time.Millisecond)
	_, _, err = m.Create(ctx, "bob", ci)
	require.NoError(t, err, "the dead records do not count against the limit")
}
