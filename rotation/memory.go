package rotation

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"sync"
	"time"
)

// memoryRetention is how long a memory store keeps a family record past its
// expiry, so that a late presentation is still answered "expired" rather
// than "not found" (both end as ErrExpired; the margin only makes the answer
// more precise).
const memoryRetention = time.Hour

// MemoryStore is a Store for a single process: tests, development, and
// single-instance deployments that accept losing every login on restart.
// One mutex serialises every operation, which makes each Exchange atomic.
type MemoryStore struct {
	mu         sync.Mutex
	families   map[string]*memFamily
	subjects   map[string]map[string]time.Time // subject -> family id -> expiry
	sinceSweep int
}

type memFamily struct {
	f         Family
	prev      Hash
	hasPrev   bool
	tombstone bool
	dropAt    time.Time // by the caller's clock
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		families: make(map[string]*memFamily),
		subjects: make(map[string]map[string]time.Time),
	}
}

func cloneFamily(f Family) Family {
	f.Claims = slices.Clone(f.Claims)
	return f
}

func expiryOf(f *Family) time.Time {
	if f.IdleExpiresAt.Before(f.ExpiresAt) {
		return f.IdleExpiresAt
	}
	return f.ExpiresAt
}

// sweep drops records well past their expiry. It runs after a number of
// writes proportional to the store's size, so its cost per write stays
// constant on average.
func (m *MemoryStore) sweep(now time.Time) {
	m.sinceSweep++
	if m.sinceSweep < 1024 || m.sinceSweep < len(m.families)/2 {
		return
	}
	m.sinceSweep = 0
	for id, r := range m.families {
		if now.After(r.dropAt) {
			delete(m.families, id)
		}
	}
	for sub, ids := range m.subjects {
		for id, exp := range ids {
			if !exp.After(now) {
				delete(ids, id)
			}
		}
		if len(ids) == 0 {
			delete(m.subjects, sub)
		}
	}
}

func (m *MemoryStore) live(id string, now time.Time) *memFamily {
	r := m.families[id]
	if r != nil && now.After(r.dropAt) {
		delete(m.families, id)
		return nil
	}
	return r
}

// Create implements Store.
func (m *MemoryStore) Create(ctx context.Context, f Family, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	now = now.Truncate(time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if r := m.live(f.ID, now); r != nil {
		if r.f.Revoked {
			return fmt.Errorf("%w: family %s was revoked before it was created", ErrRevoked, f.ID)
		}
		return fmt.Errorf("%w: family %s already exists", ErrStore, f.ID)
	}
	f = cloneFamily(f)
	f.CreatedAt = f.CreatedAt.Truncate(time.Millisecond)
	f.RotatedAt = f.RotatedAt.Truncate(time.Millisecond)
	f.IdleExpiresAt = f.IdleExpiresAt.Truncate(time.Millisecond)
	f.ExpiresAt = f.ExpiresAt.Truncate(time.Millisecond)
	f.Revoked, f.RevokedAt, f.RevokeReason = false, time.Time{}, ""
	m.families[f.ID] = &memFamily{f: f, dropAt: expiryOf(&f).Add(memoryRetention)}
	return nil
}

// Exchange implements Store.
func (m *MemoryStore) Exchange(ctx context.Context, req ExchangeRequest) (ExchangeResult, error) {
	if err := ctx.Err(); err != nil {
		return ExchangeResult{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	now := req.Now.Truncate(time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.live(req.FamilyID, now)
	if r == nil || r.tombstone {
		if r != nil {
			return ExchangeResult{Outcome: OutcomeRevoked}, nil
		}
		return ExchangeResult{Outcome: OutcomeNotFound}, nil
	}
	f := &r.f
	result := func(o Outcome) (ExchangeResult, error) {
		return ExchangeResult{Outcome: o, Family: cloneFamily(*f)}, nil
	}
	switch {
	case f.Revoked:
		return result(OutcomeRevoked)
	case !now.Before(f.ExpiresAt), !now.Before(f.IdleExpiresAt):
		return result(OutcomeExpired)
	}
	head := f.Generation
	switch {
	case req.Generation == head:
		if !hashEqual(req.Presented, f.Current) {
			return result(OutcomeMismatch)
		}
		r.prev, r.hasPrev = f.Current, true
		f.Current = req.Next
		f.Generation++
		f.RotatedAt = now
		f.IdleExpiresAt = now.Add(req.IdleTTL).Truncate(time.Millisecond)
		if f.IdleExpiresAt.After(f.ExpiresAt) {
			f.IdleExpiresAt = f.ExpiresAt
		}
		r.dropAt = expiryOf(f).Add(memoryRetention)
		return result(OutcomeRotated)
	case head > 0 && req.Generation == head-1:
		if !r.hasPrev || !hashEqual(req.Presented, r.prev) {
			return result(OutcomeMismatch)
		}
		// Grace > 0 first: a caller whose clock is behind the rotation
		// sees a negative age, which must not open a window that is off.
		if req.Grace > 0 && now.Sub(f.RotatedAt) < req.Grace {
			if !hashEqual(req.Next, f.Current) {
				return result(OutcomeMismatch)
			}
			return result(OutcomeGrace)
		}
	case req.Generation > head:
		return result(OutcomeMismatch)
	}
	f.Revoked, f.RevokedAt, f.RevokeReason = true, now, ReasonReuse
	return result(OutcomeReused)
}

func hashEqual(a, b Hash) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

// Revoke implements Store.
func (m *MemoryStore) Revoke(ctx context.Context, familyID, reason string, now, keepUntil time.Time) (Family, RevokeStatus, error) {
	if err := ctx.Err(); err != nil {
		return Family{}, 0, fmt.Errorf("%w: %w", ErrStore, err)
	}
	now = now.Truncate(time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	r := m.live(familyID, now)
	if r == nil {
		f := Family{ID: familyID, Revoked: true, RevokedAt: now, RevokeReason: reason}
		m.families[familyID] = &memFamily{f: f, tombstone: true, dropAt: keepUntil}
		return Family{}, RevokeTombstone, nil
	}
	if r.tombstone {
		return Family{}, RevokeTombstone, nil
	}
	if r.f.Revoked {
		return cloneFamily(r.f), RevokeAlready, nil
	}
	r.f.Revoked, r.f.RevokedAt, r.f.RevokeReason = true, now, reason
	return cloneFamily(r.f), RevokeDone, nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, familyID string) (Family, bool, error) {
	if err := ctx.Err(); err != nil {
		return Family{}, false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.families[familyID]
	if r == nil || r.tombstone {
		return Family{}, false, nil
	}
	return cloneFamily(r.f), true, nil
}

// AddToSubject implements Store.
func (m *MemoryStore) AddToSubject(ctx context.Context, subject, familyID string, expiresAt, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := m.subjects[subject]
	if ids == nil {
		ids = make(map[string]time.Time)
		m.subjects[subject] = ids
	}
	for id, exp := range ids {
		if !exp.After(now) {
			delete(ids, id)
		}
	}
	ids[familyID] = expiresAt.Truncate(time.Millisecond)
	return nil
}

// SubjectFamilies implements Store.
func (m *MemoryStore) SubjectFamilies(ctx context.Context, subject string, now time.Time) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, exp := range m.subjects[subject] {
		if exp.After(now) {
			out = append(out, id)
		}
	}
	return out, nil
}

// RemoveFromSubject implements Store.
func (m *MemoryStore) RemoveFromSubject(ctx context.Context, subject string, familyIDs []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := m.subjects[subject]
	for _, id := range familyIDs {
		delete(ids, id)
	}
	if ids != nil && len(ids) == 0 {
		delete(m.subjects, subject)
	}
	return nil
}
