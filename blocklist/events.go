package blocklist

import (
	"context"
	"time"
)

// EventType says what happened.
type EventType string

const (
	// EventRevoked is a revocation made through this List, now in the store.
	EventRevoked EventType = "revoked"
	// EventStoreReset is the store found to have lost its data (for example
	// a Redis server restarted without persistence). The List keeps
	// enforcing what it knew and republishes its own revocations; see the
	// package documentation.
	EventStoreReset EventType = "store_reset"
)

// Event is a security event reported through WithEvents.
type Event struct {
	Type  EventType
	Time  time.Time // by the List's clock
	Entry Entry     // EventRevoked: what was revoked (as sent to the store)
	Actor string    // EventRevoked: who, from ContextWithActor; "" if not set
}

type actorKey struct{}

// ContextWithActor returns a context that attributes revocations made with
// it to actor (a user, an admin, a service), for events and logs.
func ContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor set by ContextWithActor.
func ActorFromContext(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(actorKey{}).(string)
	return a, ok
}
