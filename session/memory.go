package session

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryStore is an in-process Store for tests, examples and single-instance
// programs. One mutex makes each method atomic, the counterpart of one Lua
// script in Redis. Expired sessions are dropped lazily, with no goroutine to
// stop: a user's during that user's next write, any session when it is next
// read, and a few sessions picked at random on every Create, so that users
// who never come back do not accumulate.
type MemoryStore struct {
	mu     sync.Mutex
	byID   map[string]*Record
	byUser map[string]map[string]struct{}
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{byID: map[string]*Record{}, byUser: map[string]map[string]struct{}{}}
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// remove drops id from both maps; the caller holds mu.
func (s *MemoryStore) remove(id string) {
	r, ok := s.byID[id]
	if !ok {
		return
	}
	delete(s.byID, id)
	if idx := s.byUser[r.UserID]; idx != nil {
		delete(idx, id)
		if len(idx) == 0 {
			delete(s.byUser, r.UserID)
		}
	}
}

// live returns the user's live records, oldest first, after dropping the
// expired ones; the caller holds mu.
func (s *MemoryStore) live(now time.Time, userID string) []*Record {
	var out []*Record
	for id := range s.byUser[userID] {
		r := s.byID[id]
		if !now.Before(r.Expiry()) {
			s.remove(id)
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Record) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, now time.Time, rec Record, limit Limit) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, sweepPerCreate)
	live := s.live(now, rec.UserID)
	var evicted []string
	if limit.Max > 0 && len(live) >= limit.Max {
		if limit.Policy != EvictOldest {
			return nil, ErrLimitReached
		}
		for _, r := range live[:len(live)-limit.Max+1] {
			evicted = append(evicted, r.ID)
			s.remove(r.ID)
		}
	}
	r := rec
	s.byID[rec.ID] = &r
	idx := s.byUser[rec.UserID]
	if idx == nil {
		idx = map[string]struct{}{}
		s.byUser[rec.UserID] = idx
	}
	idx[rec.ID] = struct{}{}
	return evicted, nil
}

// get returns the live record or an error; the caller holds mu.
func (s *MemoryStore) get(now time.Time, id string, expiredErr error) (*Record, error) {
	r, ok := s.byID[id]
	if !ok {
		return nil, ErrNotFound
	}
	if !now.Before(r.Expiry()) {
		s.remove(id)
		return nil, expiredErr
	}
	return r, nil
}

// sweepPerCreate bounds the extra work of one Create; at two or more per
// Create, the expired sessions of absent users stay a bounded fraction.
const sweepPerCreate = 4

// sweep drops expired sessions among up to n picked by map iteration, which
// starts at a random place; the caller holds mu.
func (s *MemoryStore) sweep(now time.Time, n int) {
	for id, r := range s.byID {
		if n == 0 {
			return
		}
		n--
		if !now.Before(r.Expiry()) {
			s.remove(id)
		}
	}
}

// Len returns how many sessions the store holds, expired ones not yet
// collected included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, now time.Time, id string) (Record, error) {
	if err := ctxErr(ctx); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	if !now.Before(r.Expiry()) {
		s.remove(id)
		return *r, ErrExpired
	}
	return *r, nil
}

// Touch implements Store.
func (s *MemoryStore) Touch(ctx context.Context, now time.Time, id string, t Touch) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(now, id, ErrNotFound)
	if err != nil {
		return err
	}
	if t.SetStepUp {
		r.StepUpRequired = true
	}
	if t.LastSeenAt.Before(r.LastSeenAt) {
		return nil
	}
	r.LastSeenAt = t.LastSeenAt
	r.IdleExpiresAt = minTime(t.IdleExpiresAt, r.ExpiresAt)
	r.IP, r.UserAgent, r.Country = t.IP, t.UserAgent, t.Country
	return nil
}

// Rekey implements Store.
func (s *MemoryStore) Rekey(ctx context.Context, now time.Time, id string, k Rekey) (Record, error) {
	if err := ctxErr(ctx); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(now, id, ErrNotFound)
	if err != nil {
		return Record{}, err
	}
	if r.SecretHash != k.OldHash {
		return Record{}, ErrNotFound
	}
	r.SecretHash = k.NewHash
	if k.LastSeenAt.After(r.LastSeenAt) {
		r.LastSeenAt = k.LastSeenAt
	}
	r.IdleExpiresAt = minTime(k.IdleExpiresAt, r.ExpiresAt)
	if !k.AuthenticatedAt.IsZero() {
		r.AuthenticatedAt = k.AuthenticatedAt
		r.StepUpRequired = false
	}
	return *r, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, now time.Time, id string) (Record, error) {
	if err := ctxErr(ctx); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(now, id, ErrNotFound)
	if err != nil {
		return Record{}, err
	}
	s.remove(id)
	return *r, nil
}

// DeleteUser implements Store.
func (s *MemoryStore) DeleteUser(ctx context.Context, now time.Time, userID, keepID string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, r := range s.live(now, userID) {
		if r.ID != keepID {
			ids = append(ids, r.ID)
			s.remove(r.ID)
		}
	}
	return ids, nil
}

// List implements Store.
func (s *MemoryStore) List(ctx context.Context, now time.Time, userID string) ([]Record, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.live(now, userID)
	out := make([]Record, len(live))
	for i, r := range live {
		out[i] = *r
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
