package rotationtest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/credence-go/credence/rotation"
)

// CountingStore wraps a rotation.Store and counts the calls made to it, to
// prove that some path (a forged token) never reaches the store.
type CountingStore struct {
	rotation.Store
	n atomic.Int64
}

var _ rotation.Store = (*CountingStore)(nil)

// NewCountingStore wraps s.
func NewCountingStore(s rotation.Store) *CountingStore { return &CountingStore{Store: s} }

// Calls returns the number of calls so far, of every method.
func (c *CountingStore) Calls() int64 { return c.n.Load() }

// Create implements rotation.Store.
func (c *CountingStore) Create(ctx context.Context, f rotation.Family, now time.Time) error {
	c.n.Add(1)
	return c.Store.Create(ctx, f, now)
}

// Exchange implements rotation.Store.
func (c *CountingStore) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	c.n.Add(1)
	return c.Store.Exchange(ctx, req)
}

// Revoke implements rotation.Store.
func (c *CountingStore) Revoke(ctx context.Context, id, reason string, now, keepUntil time.Time) (rotation.Family, rotation.RevokeStatus, error) {
	c.n.Add(1)
	return c.Store.Revoke(ctx, id, reason, now, keepUntil)
}

// Get implements rotation.Store.
func (c *CountingStore) Get(ctx context.Context, id string) (rotation.Family, bool, error) {
	c.n.Add(1)
	return c.Store.Get(ctx, id)
}

// AddToSubject implements rotation.Store.
func (c *CountingStore) AddToSubject(ctx context.Context, sub, id string, exp, now time.Time) error {
	c.n.Add(1)
	return c.Store.AddToSubject(ctx, sub, id, exp, now)
}

// SubjectFamilies implements rotation.Store.
func (c *CountingStore) SubjectFamilies(ctx context.Context, sub string, now time.Time) ([]string, error) {
	c.n.Add(1)
	return c.Store.SubjectFamilies(ctx, sub, now)
}

// RemoveFromSubject implements rotation.Store.
func (c *CountingStore) RemoveFromSubject(ctx context.Context, sub string, ids []string) error {
	c.n.Add(1)
	return c.Store.RemoveFromSubject(ctx, sub, ids)
}
