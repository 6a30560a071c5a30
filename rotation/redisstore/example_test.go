package redisstore_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/redisstore"
)

// Wiring a Rotator to Redis Cluster. (Not run: it needs a cluster; the
// package's tests run the same code against redis-server.)
func Example() {
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"}})
	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:rotation:"))
	if err != nil {
		panic(err)
	}
	var issuer *jwt.Issuer // jwt.NewIssuer(...)
	var serverKey []byte   // 32+ bytes from your secret manager, the same on every instance
	rot, err := rotation.New(store, issuer, rotation.WithMACKey(serverKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	pair, err := rot.Issue(ctx, jwt.Claims{Subject: "alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pair.FamilyID)
}
