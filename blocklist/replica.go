package blocklist

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// sweepEvery is how often, by the List's clock, expired entries leave the
// replica's tables. Expiry is checked on every lookup; sweeping only frees
// memory.
const sweepEvery = time.Minute

// follow keeps the replica up to date: it follows the change feed from cur
// and takes a new snapshot after any gap or error, until ctx is done.
func (l *List) follow(ctx context.Context, cur Cursor, lastSweep time.Time) {
	defer close(l.done)
	log := l.o.logger
	needSync := false
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if needSync {
			next, err := l.resync(ctx, cur)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				log.LogAttrs(ctx, slog.LevelWarn, "blocklist: resynchronisation failed", slog.Any("error", err))
				backoff = sleep(ctx, backoff)
				continue
			}
			cur, needSync, backoff = next, false, 0
		}
		changes, next, err := l.store.Changes(ctx, cur, l.wait)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			needSync = true
			if errors.Is(err, ErrGap) {
				log.LogAttrs(ctx, slog.LevelInfo, "blocklist: change feed gap; resynchronising", slog.Any("error", err))
				continue
			}
			log.LogAttrs(ctx, slog.LevelWarn, "blocklist: change feed failed; resynchronising", slog.Any("error", err))
			backoff = sleep(ctx, backoff)
			continue
		}
		now := l.o.now()
		seq := cur.Seq
		for _, ch := range changes {
			// Applying is always safe (revocations only merge upwards), so
			// apply even past a hole, then resynchronise to fill it.
			if ch.Seq != seq+1 {
				needSync = true
			}
			seq = ch.Seq
			if ch.Entry.Validate() == nil {
				l.apply(ch.Entry, now)
			}
		}
		if needSync {
			log.LogAttrs(ctx, slog.LevelWarn, "blocklist: store returned a change feed with holes; resynchronising")
			continue
		}
		cur = next
		l.touch(now)
		if now.Sub(lastSweep) >= sweepEvery {
			l.sweep(now)
			lastSweep = now
		}
	}
}

// resync loads a snapshot into the replica (a union: nothing the replica
// knows is dropped before it expires) and returns its cursor. prev is the
// cursor followed so far ("" epoch at start); a new epoch means the store
// lost its data.
func (l *List) resync(ctx context.Context, prev Cursor) (Cursor, error) {
	now := l.o.now()
	snap, err := l.store.Snapshot(ctx, now)
	if err != nil {
		return prev, err
	}
	for _, e := range snap.Entries {
		if e.Validate() == nil {
			l.apply(e, now)
		}
	}
	if prev.Epoch != "" && snap.Cursor.Epoch != prev.Epoch {
		if err := l.storeReset(ctx, now, prev.Epoch, snap.Cursor.Epoch); err != nil {
			return prev, err
		}
	}
	l.touch(now)
	return snap.Cursor, nil
}

// storeReset handles a store that lost its data. The replica keeps enforcing
// every entry it holds until it expires (it never forgets a revocation
// because the source of truth did), and republishes this List's own live
// revocations so that replicas started later learn them again. Entries this
// List learned from others are held only as hashes and cannot be
// republished from here: their revoking List republishes them, if it is
// still running.
func (l *List) storeReset(ctx context.Context, now time.Time, from, to string) error {
	l.outboxMu.Lock()
	own := make([]Entry, 0, len(l.outbox))
	for k, e := range l.outbox {
		if now.Before(e.ExpiresAt) {
			own = append(own, e)
		} else {
			delete(l.outbox, k)
		}
	}
	l.outboxMu.Unlock()
	l.o.logger.LogAttrs(ctx, slog.LevelError, "blocklist: the store lost its data; keeping local entries and republishing this instance's revocations",
		slog.String("old_epoch", from), slog.String("new_epoch", to), slog.Int("republished", len(own)))
	if l.o.events != nil {
		l.o.events(ctx, Event{Type: EventStoreReset, Time: now})
	}
	if len(own) == 0 {
		return nil
	}
	return l.store.Revoke(ctx, now, own...)
}

func (l *List) touch(now time.Time) {
	l.lastContact.Store(now.UnixNano())
	l.staleLogged.Store(false)
}

// sweep frees the replica's expired entries and the outbox's.
func (l *List) sweep(now time.Time) {
	sec := clampUnix(now.Unix())
	for _, t := range l.tabs {
		t.expire(sec)
	}
	l.outboxMu.Lock()
	for k, e := range l.outbox {
		if !now.Before(e.ExpiresAt) {
			delete(l.outbox, k)
		}
	}
	l.outboxMu.Unlock()
}

// sleep waits before retrying a failed store call, doubling from 50ms to 1s,
// and returns the next delay.
func sleep(ctx context.Context, d time.Duration) time.Duration {
	d = min(max(2*d, 50*time.Millisecond), time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return d
}
