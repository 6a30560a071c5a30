package redisstore_test

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/redisstore"
)

// A Manager over Redis. The same code serves a Redis Cluster: pass a
// *redis.ClusterClient (or redis.NewUniversalClient with several addresses).
func Example() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}})
	defer rdb.Close()

	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:session:"))
	if err != nil {
		panic(err)
	}
	m, err := session.NewManager(store,
		session.WithIdleTimeout(15*time.Minute),
		session.WithMaxSessions(5, session.EvictOldest))
	fmt.Println(m != nil, err) // construction issues no command
	// Output: true <nil>
}
