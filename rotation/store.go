package rotation

import (
	"context"
	"time"
)

// Hash is the SHA-256 digest of a refresh token's secret. Stores keep only
// hashes, never a usable token.
type Hash [32]byte

// Family is the server-side record of one refresh-token family: every token
// minted since one login, from its first token through every rotation.
// Only the head (the newest generation) can be exchanged.
type Family struct {
	ID        string
	Subject   string
	SessionID string // sid of the family's access tokens
	// Claims is the encoded claims template the family's access tokens are
	// minted from. Opaque to the store: stored and returned as given.
	Claims []byte
	// Generation is the generation of the head token; the first token of a
	// family has generation 0.
	Generation uint64
	// Current is the hash of the head token's secret.
	Current       Hash
	CreatedAt     time.Time
	RotatedAt     time.Time // time of the last rotation; CreatedAt before the first
	IdleExpiresAt time.Time // slides with each rotation
	ExpiresAt     time.Time // absolute, fixed at creation
	Revoked       bool
	RevokedAt     time.Time
	RevokeReason  string
}

// Outcome is the decision of one Exchange.
type Outcome int

const (
	// OutcomeNotFound: there is no record of the family (never created,
	// or removed after expiry).
	OutcomeNotFound Outcome = iota + 1
	// OutcomeRotated: the presented token was the head; it is consumed and
	// the successor (ExchangeRequest.Next) is the new head.
	OutcomeRotated
	// OutcomeGrace: the presented token is the one just rotated away, within
	// the grace period, and ExchangeRequest.Next equals the current head:
	// the caller hands out the same successor again. Nothing changed.
	OutcomeGrace
	// OutcomeReused: a consumed token was presented outside the grace
	// period. The family has been revoked (reason ReasonReuse) in the same
	// atomic step.
	OutcomeReused
	// OutcomeRevoked: the family was revoked before.
	OutcomeRevoked
	// OutcomeExpired: the idle or absolute expiry has passed.
	OutcomeExpired
	// OutcomeMismatch: the generation or hash matches no token the family
	// issued (a generation from the future, a wrong hash, or a grace replay
	// whose successor differs from the head). Nothing changed.
	OutcomeMismatch
)

func (o Outcome) String() string {
	switch o {
	case OutcomeNotFound:
		return "not_found"
	case OutcomeRotated:
		return "rotated"
	case OutcomeGrace:
		return "grace"
	case OutcomeReused:
		return "reused"
	case OutcomeRevoked:
		return "revoked"
	case OutcomeExpired:
		return "expired"
	case OutcomeMismatch:
		return "mismatch"
	default:
		return "unknown"
	}
}

// ExchangeRequest is one presentation of a refresh token.
type ExchangeRequest struct {
	FamilyID   string
	Generation uint64 // generation of the presented token
	Presented  Hash   // hash of the presented token's secret
	Next       Hash   // hash of its successor's secret
	Now        time.Time
	IdleTTL    time.Duration // the new idle expiry is Now+IdleTTL (capped by ExpiresAt)
	Grace      time.Duration // 0: no grace
}

// ExchangeResult is the Outcome and the family record after the step. Family
// is the zero value for OutcomeNotFound.
type ExchangeResult struct {
	Outcome Outcome
	Family  Family
}

// RevokeStatus says what Revoke found.
type RevokeStatus int

const (
	// RevokeTombstone: no record existed; a revoked tombstone now holds the
	// id so that a Create still in flight fails.
	RevokeTombstone RevokeStatus = iota + 1
	// RevokeDone: an active family was revoked.
	RevokeDone
	// RevokeAlready: the family was revoked before; nothing changed.
	RevokeAlready
)

// Store holds refresh-token families. The memory store and
// rotation/redisstore implement it; rotation/rotationtest.Run is its
// conformance suite, which every implementation must pass.
//
// Contract:
//
//   - Time comes from the caller (now, req.Now): a store never reads a clock
//     to decide validity. Stores keep time with millisecond precision. A
//     store may drop a record once its expiry (the earlier of
//     IdleExpiresAt and ExpiresAt) or a tombstone's keepUntil is well past,
//     by the caller's clock or by its own for garbage collection only.
//   - Exchange is one atomic step: two concurrent exchanges of one token
//     can never both get OutcomeRotated, and a Revoke is either before it
//     (the exchange sees OutcomeRevoked) or after it (the successor is
//     revoked too). Its decision, in this order: missing -> NotFound;
//     revoked -> Revoked; now >= ExpiresAt or now >= IdleExpiresAt ->
//     Expired; generation == head and hash == Current -> Rotated (head :=
//     Next, generation+1, RotatedAt := now, IdleExpiresAt := min(now+IdleTTL,
//     ExpiresAt)); generation == head-1 and hash == the previous head's hash
//     and Grace > 0 and now-RotatedAt < Grace -> Grace if Next ==
//     Current, else Mismatch (a Grace of 0 is no window, even for a
//     caller whose clock is behind the rotation);
//     generation == head-1 with the previous hash, grace over, or
//     generation < head-1 -> revoke (ReasonReuse) and Reused; anything
//     else -> Mismatch. Hashes are compared in constant time where the
//     store can.
//   - Errors are only for failures of the store itself, wrapped with
//     ErrStore; a decision is an Outcome, never an error. Context
//     cancellation is returned wrapped too.
//   - Returned values never alias the store's memory, and stored values
//     never alias the caller's.
//
// All methods are safe for concurrent use.
type Store interface {
	// Create stores a new family. If the id holds a revoked record (a
	// tombstone left by Revoke) it returns an error wrapping ErrRevoked; if
	// it holds any other record, an error wrapping ErrStore. It never
	// overwrites.
	Create(ctx context.Context, f Family, now time.Time) error
	// Exchange consumes a token and installs its successor, atomically.
	Exchange(ctx context.Context, req ExchangeRequest) (ExchangeResult, error)
	// Revoke marks the family revoked with reason at now, and returns the
	// record. A missing family becomes a revoked tombstone kept until
	// keepUntil. Idempotent: revoking a revoked family changes nothing.
	Revoke(ctx context.Context, familyID, reason string, now, keepUntil time.Time) (Family, RevokeStatus, error)
	// Get returns the family record; found is false if there is none or it
	// is a tombstone. Not used on the refresh path.
	Get(ctx context.Context, familyID string) (f Family, found bool, err error)

	// AddToSubject records familyID under subject until expiresAt. It may
	// drop entries whose expiry is before now.
	AddToSubject(ctx context.Context, subject, familyID string, expiresAt, now time.Time) error
	// SubjectFamilies lists the families recorded under subject whose expiry
	// is after now, in any order; none is not an error.
	SubjectFamilies(ctx context.Context, subject string, now time.Time) ([]string, error)
	// RemoveFromSubject forgets familyIDs under subject. Missing ids are
	// ignored.
	RemoveFromSubject(ctx context.Context, subject string, familyIDs []string) error
}
