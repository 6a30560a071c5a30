package redisstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/redisstore"
	"github.com/credence-go/credence/jwt"
)

// Two service instances share revocations through Redis. Each checks tokens
// against its own in-memory replica; a revocation on one reaches the other
// through the store's change feed. For a Redis Cluster, pass a
// *redis.ClusterClient: every key of one prefix sits in one slot.
func Example() {
	ctx := context.Background()
	instance := func() (*blocklist.List, redis.UniversalClient) {
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{exampleAddr}})
		store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:blocklist"))
		if err != nil {
			panic(err)
		}
		list, err := blocklist.New(store, blocklist.WithMaxTokenLifetime(10*time.Minute))
		if err != nil {
			panic(err)
		}
		return list, rdb
	}
	a, rdbA := instance()
	b, rdbB := instance()
	// The List does not own its client: close the List first, then the client.
	defer rdbA.Close()
	defer rdbB.Close()
	defer a.Close()
	defer b.Close()

	stolen := &jwt.Claims{ID: "tok-1", Subject: "alice", ExpiresAt: time.Now().Add(5 * time.Minute)}
	if err := a.RevokeToken(ctx, stolen.ID, stolen.ExpiresAt); err != nil {
		panic(err)
	}
	ra, _ := a.IsRevoked(ctx, stolen) // at once on the revoking instance
	fmt.Println("instance a:", ra)

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rb, err := b.IsRevoked(ctx, stolen); err == nil && rb {
			break
		}
		time.Sleep(time.Millisecond) // the feed takes well under a millisecond on loopback
	}
	rb, _ := b.IsRevoked(ctx, stolen)
	fmt.Println("instance b:", rb)
	// Output:
	// instance a: true
	// instance b: true
}
