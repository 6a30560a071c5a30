package blocklist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// MemoryStore is a Store held in process memory, for tests and for a single
// process. Every List that should see the same revocations must share the one
// MemoryStore value. It is safe for concurrent use.
type MemoryStore struct {
	epoch string

	mu      sync.Mutex
	entries map[entryKey]Entry
	log     []Change      // the feed: seqs log[0].Seq .. seq, without holes
	logAt   []time.Time   // the caller's now when each change of log was written
	seq     uint64        // last seq handed out
	wake    chan struct{} // closed and replaced on every write
	sweep   time.Time     // when collect next runs
}

// feedRetention is how long, by the callers' clocks, the MemoryStore keeps
// a change in its feed (as the Redis store's default feed retention).
const feedRetention = 15 * time.Minute

type entryKey struct {
	kind Kind
	id   string
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return &MemoryStore{
		epoch:   "mem-" + hex.EncodeToString(b[:]),
		entries: make(map[entryKey]Entry),
		wake:    make(chan struct{}),
	}
}

// Revoke implements Store.
func (m *MemoryStore) Revoke(ctx context.Context, now time.Time, entries ...Entry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	wrote := false
	for _, e := range entries {
		e = normalize(e)
		if !now.Before(e.ExpiresAt) {
			continue
		}
		k := entryKey{e.Kind, e.ID}
		if old, ok := m.entries[k]; ok && now.Before(old.ExpiresAt) {
			e = old.Merge(e)
		}
		m.entries[k] = e
		m.seq++
		m.log = append(m.log, Change{Seq: m.seq, Entry: e})
		m.logAt = append(m.logAt, now)
		wrote = true
	}
	if wrote {
		m.collect(now)
		close(m.wake)
		m.wake = make(chan struct{})
	}
	return nil
}

// collect drops expired entries, and feed changes from the front of the log
// while they are expired or older than feedRetention (by age, so that one
// long-lived entry at the front cannot pin every later change): a follower
// that had not read them yet gets ErrGap and resynchronises. It runs at most
// once a minute of the callers' time so that a write costs O(1) amortised.
// Callers hold mu.
func (m *MemoryStore) collect(now time.Time) {
	if now.Before(m.sweep) {
		return
	}
	m.sweep = now.Add(time.Minute)
	for k, e := range m.entries {
		if !now.Before(e.ExpiresAt) {
			delete(m.entries, k)
		}
	}
	i := 0
	horizon := now.Add(-feedRetention)
	for i < len(m.log) && (!now.Before(m.log[i].Entry.ExpiresAt) || m.logAt[i].Before(horizon)) {
		i++
	}
	if i > 0 {
		m.log = append(m.log[:0:0], m.log[i:]...)
		m.logAt = append(m.logAt[:0:0], m.logAt[i:]...)
	}
}

// Snapshot implements Store.
func (m *MemoryStore) Snapshot(ctx context.Context, now time.Time) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Entry, 0, len(m.entries))
	for _, e := range m.entries {
		if now.Before(e.ExpiresAt) {
			out = append(out, e)
		}
	}
	return Snapshot{Entries: out, Cursor: Cursor{Epoch: m.epoch, Seq: m.seq}}, nil
}

// Changes implements Store. It returns as soon as ctx is done.
func (m *MemoryStore) Changes(ctx context.Context, after Cursor, wait time.Duration) ([]Change, Cursor, error) {
	var timer *time.Timer
	for {
		m.mu.Lock()
		if after.Epoch != m.epoch {
			m.mu.Unlock()
			return nil, after, fmt.Errorf("%w: cursor epoch %q is not this store's", ErrGap, after.Epoch)
		}
		if after.Seq > m.seq {
			m.mu.Unlock()
			return nil, after, fmt.Errorf("%w: cursor seq %d is ahead of the feed (%d)", ErrGap, after.Seq, m.seq)
		}
		if after.Seq < m.seq {
			first := m.seq - uint64(len(m.log)) + 1
			if after.Seq+1 < first {
				m.mu.Unlock()
				return nil, after, fmt.Errorf("%w: changes %d..%d were trimmed", ErrGap, after.Seq+1, first-1)
			}
			out := append([]Change(nil), m.log[after.Seq+1-first:]...)
			m.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			next := after
			next.Seq = out[len(out)-1].Seq
			return out, next, nil
		}
		wake := m.wake
		m.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		select {
		case <-wake:
		case <-timer.C:
			return nil, after, nil
		case <-ctx.Done():
			return nil, after, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
	}
}

// normalize rounds an entry's times to whole seconds, widening what it
// revokes: the expiry up, the watermark down.
func normalize(e Entry) Entry {
	e.ExpiresAt = time.Unix(ceilUnix(e.ExpiresAt), 0).UTC()
	if !e.Watermark.IsZero() {
		e.Watermark = time.Unix(e.Watermark.Unix(), 0).UTC()
	}
	return e
}

// ceilUnix is t in Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
