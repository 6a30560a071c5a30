package rotationtest

import (
	"time"

	"github.com/credence-go/credence/jwt/jwttest"
)

// Clock is a fake clock for tests: it moves only when told (Advance, Set)
// and is safe for concurrent use. It is jwttest's clock, so one clock can
// drive the jwt.Issuer, the Rotator and its store together.
type Clock = jwttest.Clock

// NewClock returns a Clock set to t.
func NewClock(t time.Time) *Clock { return jwttest.NewClock(t) }
