package blocklist

import (
	"context"
	"fmt"
	"time"
)

// Kind says what an Entry's ID names.
type Kind uint8

// The three kinds of entry. A token is revoked if any of them matches.
const (
	// KindToken revokes one token by its jti, until that token's exp.
	KindToken Kind = 1
	// KindSession revokes every token whose sid is ID, for the maximum
	// token lifetime after the revocation.
	KindSession Kind = 2
	// KindSubject revokes every token of the subject ID issued at or before
	// the Watermark second, for the maximum token lifetime after it.
	KindSubject Kind = 3
)

// MaxIDLength bounds an Entry's ID (a jti, sid or sub), in bytes.
const MaxIDLength = 1024

func (k Kind) String() string {
	switch k {
	case KindToken:
		return "token"
	case KindSession:
		return "session"
	case KindSubject:
		return "subject"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Entry is one revocation.
//
// Times have whole-second precision: stores keep ExpiresAt rounded up and
// Watermark rounded down to the second, which can only widen what is revoked.
type Entry struct {
	Kind Kind
	ID   string // the jti, sid or sub

	// ExpiresAt is when the entry stops mattering and may be forgotten: it
	// is live while now < ExpiresAt.
	ExpiresAt time.Time

	// Watermark is set for KindSubject only: tokens of the subject whose
	// iat second is at or before this second are revoked.
	Watermark time.Time
}

// Validate reports an ErrInvalid for an entry no store should accept.
func (e Entry) Validate() error {
	switch e.Kind {
	case KindToken, KindSession, KindSubject:
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrInvalid, e.Kind)
	}
	if e.ID == "" {
		return fmt.Errorf("%w: empty %s id", ErrInvalid, e.Kind)
	}
	if len(e.ID) > MaxIDLength {
		return fmt.Errorf("%w: %s id of %d bytes exceeds %d", ErrInvalid, e.Kind, len(e.ID), MaxIDLength)
	}
	if e.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: %s entry without expiry", ErrInvalid, e.Kind)
	}
	if e.Kind == KindSubject && e.Watermark.IsZero() {
		return fmt.Errorf("%w: subject entry without watermark", ErrInvalid)
	}
	if e.Kind != KindSubject && !e.Watermark.IsZero() {
		return fmt.Errorf("%w: watermark on a %s entry", ErrInvalid, e.Kind)
	}
	return nil
}

// Merge combines two revocations of the same (Kind, ID): the later expiry
// and the later watermark win, so merging is commutative, associative and
// idempotent, and never revokes less than either side.
func (e Entry) Merge(o Entry) Entry {
	if o.ExpiresAt.After(e.ExpiresAt) {
		e.ExpiresAt = o.ExpiresAt
	}
	if o.Watermark.After(e.Watermark) {
		e.Watermark = o.Watermark
	}
	return e
}

// Change is one entry of a store's change feed: the entry as stored after
// the write that produced it (merged with what was there).
type Change struct {
	Seq   uint64 // 1, 2, 3, ... within one Epoch, without holes
	Entry Entry
}

// Cursor is a position in a store's change feed.
type Cursor struct {
	// Epoch names one life of the store's data. It changes when the data is
	// lost (a Redis server restarted empty), so a cursor from before the
	// loss is refused with ErrGap.
	Epoch string
	// Seq is the sequence number of the last change seen.
	Seq uint64
	// Pos is store-specific (the Redis store keeps a stream ID here).
	Pos string
}

// Snapshot is every live entry of a store and the feed position it
// reflects.
type Snapshot struct {
	Entries []Entry
	Cursor  Cursor
}

// Store is the shared source of truth behind a List: the live revocations
// and a change feed of every write to them. The memory store in this package
// and blocklist/redisstore implement it; blocklisttest.Run checks the
// contract below, which every implementation must meet.
//
// Time: a store never reads a clock to decide validity; now is the caller's.
// An entry is live while now < ExpiresAt; expired entries are never returned
// and may be discarded at any time (Redis TTLs and trimming only collect
// garbage).
//
// Revoke validates every entry (ErrInvalid, nothing written) and, for each
// live one, merges it (Entry.Merge) with the live entry of the same Kind and
// ID, if any, stores the result and appends it to the change feed as one
// atomic step: a reader sees both or neither. Entries already expired at now
// are skipped (no feed entry). Revoke is idempotent and safe for concurrent
// use; concurrent merges of one ID lose nothing.
//
// Snapshot returns every entry live at now and a Cursor. Every write not
// reflected in the entries has a sequence number greater than Cursor.Seq, so
// following the feed from the cursor misses nothing (a write may appear in
// both). The returned slice belongs to the caller.
//
// Changes returns the changes with Seq greater than after.Seq, in Seq order
// and without holes (the first is after.Seq+1), and the cursor to pass next
// time. It returns all of those the store holds when it replies, never a
// first slice of them: a List takes a successful call as proof that it is up
// to date (a store that would have too many to return answers ErrGap
// instead). When there are none it waits up to wait for one, then returns an
// empty slice, the same cursor and a nil error: a heartbeat that proves the
// store was reachable. It returns an error wrapping ErrGap when it cannot
// continue from after (changes trimmed, store reset, foreign cursor); the
// caller then takes a new Snapshot. Any other error means the store could
// not be reached.
//
// Errors of the underlying client are translated: they wrap ErrUnavailable,
// ErrGap or ErrInvalid, never a client-specific sentinel.
type Store interface {
	Revoke(ctx context.Context, now time.Time, entries ...Entry) error
	Snapshot(ctx context.Context, now time.Time) (Snapshot, error)
	Changes(ctx context.Context, after Cursor, wait time.Duration) ([]Change, Cursor, error)
}
