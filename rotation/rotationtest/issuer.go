package rotationtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/credence-go/credence/jwt"
)

// Issuer is a fake rotation.AccessIssuer for unit tests: it fills the times
// and a jti, and returns an unsigned placeholder as Raw ("at.<sid>.<n>").
// Safe for concurrent use. Use a real *jwt.Issuer where the token itself
// matters.
type Issuer struct {
	Now func() time.Time // default time.Now
	TTL time.Duration    // default 10 minutes

	n atomic.Int64
}

// Issue implements rotation.AccessIssuer.
func (i *Issuer) Issue(ctx context.Context, c jwt.Claims) (*jwt.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	ttl := i.TTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	n := i.n.Add(1)
	t := now().Truncate(time.Second)
	c.IssuedAt, c.NotBefore, c.ExpiresAt = t, t, t.Add(ttl)
	c.ID = fmt.Sprintf("jti-%d", n)
	return &jwt.Token{Raw: fmt.Sprintf("at.%s.%d", c.SessionID, n), Claims: c}, nil
}

// Calls returns how many access tokens were issued.
func (i *Issuer) Calls() int64 { return i.n.Load() }
