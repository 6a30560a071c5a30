package rotationtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/rotationtest"
)

// A Store implementation runs the whole suite from one test function.
func ExampleRun() {
	_ = func(t *testing.T) {
		rotationtest.Run(t, func(t *testing.T) rotation.Store {
			return rotation.NewMemoryStore() // your store, empty, one per subtest
		})
	}
	fmt.Println(rotationtest.Trials, "trials of", rotationtest.Presenters, "concurrent presenters")
	// Output: 300 trials of 64 concurrent presenters
}

// Time moves only when told: expiry is tested without sleeping.
func ExampleClock() {
	ctx := context.Background()
	clock := rotationtest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	store := rotationtest.NewCountingStore(rotation.NewMemoryStore())
	rot, _ := rotation.New(store, &rotationtest.Issuer{Now: clock.Now},
		rotation.WithMACKey(rotationtest.Key), rotation.WithClock(clock.Now),
		rotation.WithRefreshTTL(time.Hour), rotation.WithFamilyLifetime(24*time.Hour))

	p, _ := rot.Issue(ctx, jwt.Claims{Subject: "alice"})
	clock.Advance(time.Hour)
	_, err := rot.Refresh(ctx, p.RefreshToken)
	fmt.Println("expired:", errors.Is(err, rotation.ErrExpired))
	fmt.Println("store calls:", store.Calls()) // index, create, exchange
	// Output:
	// expired: true
	// store calls: 3
}
