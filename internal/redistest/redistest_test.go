package redistest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
)

func TestStartServesAndRestartEmpties(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t)
	c := s.Client()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	got, err := c.Get(ctx, "k").Result()
	require.NoError(t, err)
	require.Equal(t, "v", got)

	s.Restart()
	_, err = c.Get(ctx, "k").Result()
	require.ErrorContains(t, err, "nil", "a restarted server starts empty")
}

func TestTwoServersAreIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := redistest.Start(t), redistest.Start(t)
	require.NotEqual(t, a.Addr, b.Addr)
	require.NoError(t, a.Client().Set(ctx, "k", "a", 0).Err())
	require.Error(t, b.Client().Get(ctx, "k").Err())
}

func TestStopMakesServerUnreachable(t *testing.T) {
	s := redistest.Start(t)
	c := s.Client()
	s.Stop()
	require.Error(t, c.Ping(context.Background()).Err())
}

func TestClusterRoutesKeysAcrossSlots(t *testing.T) {
	ctx := context.Background()
	cl := redistest.StartCluster(t).Client()
	for i := 0; i < 50; i++ {
		require.NoError(t, cl.Set(ctx, fmt.Sprintf("key-%d", i), i, 0).Err())
	}
	for i := 0; i < 50; i++ {
		v, err := cl.Get(ctx, fmt.Sprintf("key-%d", i)).Int()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	// Keys in different slots cannot be used in one command: the cluster is real.
	err := cl.Do(ctx, "MSET", "{a}x", 1, "{b}y", 2).Err()
	require.ErrorContains(t, err, "CROSSSLOT")
}
