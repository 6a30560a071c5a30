package session

import (
	"context"
	"net/netip"
	"time"
)

// Record is a session as a Store keeps it. It differs from Session by the
// hash of the secret, which never leaves the package through Session.
type Record struct {
	ID         string
	UserID     string
	SecretHash [32]byte // SHA-256 of the secret; the secret itself is never stored

	CreatedAt       time.Time
	LastSeenAt      time.Time
	AuthenticatedAt time.Time
	IdleExpiresAt   time.Time
	ExpiresAt       time.Time

	IP             netip.Addr
	UserAgent      string
	Country        string
	StepUpRequired bool
}

// Expiry is the instant the record stops being valid: the earlier of its idle
// and absolute expiry.
func (r Record) Expiry() time.Time {
	if r.IdleExpiresAt.Before(r.ExpiresAt) {
		return r.IdleExpiresAt
	}
	return r.ExpiresAt
}

// LimitPolicy says what Create does when a user is at the session limit.
type LimitPolicy int

const (
	// EvictOldest removes the user's oldest sessions (earliest CreatedAt) to
	// make room; the Manager reports them as evicted.
	EvictOldest LimitPolicy = iota + 1
	// RejectNew refuses the new session with ErrLimitReached.
	RejectNew
)

func (p LimitPolicy) String() string {
	switch p {
	case EvictOldest:
		return "evict-oldest"
	case RejectNew:
		return "reject-new"
	}
	return "unknown"
}

// Limit caps the live sessions of one user. Max 0 means no limit.
type Limit struct {
	Max    int
	Policy LimitPolicy
}

// Touch is the change Validate makes when it records activity.
type Touch struct {
	LastSeenAt    time.Time
	IdleExpiresAt time.Time
	IP            netip.Addr
	UserAgent     string
	Country       string
	// SetStepUp sets StepUpRequired; Touch never clears it.
	SetStepUp bool
}

// Rekey replaces a session's secret: Renew and Reauthenticate.
type Rekey struct {
	OldHash, NewHash [32]byte
	LastSeenAt       time.Time
	IdleExpiresAt    time.Time
	// AuthenticatedAt, when not zero, replaces AuthenticatedAt and clears
	// StepUpRequired (a passed re-authentication).
	AuthenticatedAt time.Time
}

// Store keeps sessions for a Manager. NewMemoryStore and
// session/redisstore implement it; session/sessiontest is its conformance
// suite, and a Store that passes it needs no further tests of these rules.
//
// Time: every method takes now from the caller (the Manager's clock). A
// record is live while now is before Record.Expiry(); the store decides
// validity only from now, never from its own clock (Redis TTLs only collect
// garbage).
//
// Errors: a missing, revoked or evicted session is ErrNotFound; a record the
// store still holds but whose expiry has passed is ErrExpired from Get
// (returned along with the record, so that the Manager can check the secret
// before it says "expired") and ErrNotFound from the others; any failure of the store itself wraps
// ErrStore (and, for a cancelled or expired ctx, ctx.Err()). A store never
// reports success it did not achieve.
//
// Index: the store keeps a per-user index so that List and DeleteUser never
// scan the whole store; expired entries are dropped from it lazily, during
// later writes for that user. Each method is atomic: concurrent callers
// cannot push a user over the limit, resurrect a deleted session, or both
// win a Rekey.
//
// Aliasing: the store keeps no reference to values passed in and returns
// values the caller may modify.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Create stores rec (its ID is new) after dropping the user's expired
	// sessions and applying limit: with RejectNew at the limit it returns
	// ErrLimitReached and stores nothing; with EvictOldest it deletes the
	// user's oldest sessions (by CreatedAt, then ID) so that Max remain
	// including rec, and returns their IDs.
	Create(ctx context.Context, now time.Time, rec Record, limit Limit) (evicted []string, err error)

	// Get returns the live record with this ID, or the expired record with
	// ErrExpired.
	Get(ctx context.Context, now time.Time, id string) (Record, error)

	// Touch records activity on a live session. It never moves LastSeenAt
	// back (a Touch older than the stored LastSeenAt changes nothing but
	// SetStepUp) and never revives a deleted
	// or expired session (ErrNotFound).
	Touch(ctx context.Context, now time.Time, id string, t Touch) error

	// Rekey swaps the secret hash of a live session from r.OldHash to
	// r.NewHash and records the activity, atomically: when the current hash
	// is not r.OldHash (a concurrent Rekey won) it returns ErrNotFound. It
	// returns the updated record. ExpiresAt never changes.
	Rekey(ctx context.Context, now time.Time, id string, r Rekey) (Record, error)

	// Delete removes the session and returns the record it held. A session
	// that is missing or already expired is ErrNotFound.
	Delete(ctx context.Context, now time.Time, id string) (Record, error)

	// DeleteUser removes every live session of userID except keepID ("" keeps
	// none) and returns the IDs it removed.
	DeleteUser(ctx context.Context, now time.Time, userID, keepID string) ([]string, error)

	// List returns the live sessions of userID, oldest first (by CreatedAt,
	// then ID).
	List(ctx context.Context, now time.Time, userID string) ([]Record, error)
}
