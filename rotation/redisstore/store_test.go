package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/redisstore"
	"github.com/credence-go/credence/rotation/rotationtest"
)

var prefixes atomic.Int64

// factory gives each subtest its own key prefix on one shared server.
func factory(rdb redis.UniversalClient) rotationtest.Factory {
	return func(t *testing.T) rotation.Store {
		s, err := redisstore.New(rdb, redisstore.WithPrefix(fmt.Sprintf("rt%d:", prefixes.Add(1))))
		require.NoError(t, err)
		return s
	}
}

func TestConformanceSingleNode(t *testing.T) {
	srv := redistest.Start(t)
	rotationtest.Run(t, factory(srv.Client()))
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	rotationtest.Run(t, factory(c.Client()))
}
