package sessiontest_test

import (
	"fmt"
	"time"

	"github.com/credence-go/credence/session/sessiontest"
)

func ExampleClock() {
	clock := sessiontest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	clock.Advance(31 * time.Minute) // pass clock.Now to session.WithClock
	fmt.Println(clock.Now().Format(time.Kitchen))
	// Output: 9:31AM
}
