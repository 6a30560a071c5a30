package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

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
