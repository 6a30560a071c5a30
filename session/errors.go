package session

import "errors"

// Sentinel errors. Every error returned by this package, and by the stores that
// implement Store, matches one of these with errors.Is; details are wrapped with %w.
var (
	// ErrNotFound: no live session answers to this ID or token. A token whose
	// secret does not match its session also gets ErrNotFound, so the error
	// tells an attacker nothing about which sessions exist.
	ErrNotFound = errors.New("session: not found")

	// ErrExpired: the session passed its idle or absolute expiry. Once a store
	// has collected an expired session it reports ErrNotFound instead.
	ErrExpired = errors.New("session: expired")

	// ErrLimitReached: the user already holds the maximum number of sessions
	// and the limit policy is RejectNew.
	ErrLimitReached = errors.New("session: session limit reached")

	// ErrAnomaly: the anomaly policy terminated the session (for example the
	// client moved to another country). The session no longer exists.
	ErrAnomaly = errors.New("session: anomaly detected, session terminated")

	// ErrStepUpRequired: the session is valid but must re-authenticate before
	// this use (an anomaly asked for step-up, or the last authentication is
	// older than RequireRecentAuth allows).
	ErrStepUpRequired = errors.New("session: step-up authentication required")

	// ErrInvalidToken: the token is not one this package could have issued
	// (wrong shape, length or encoding). It never reached the store.
	ErrInvalidToken = errors.New("session: malformed token")

	// ErrInvalidInput: an argument is unusable (empty or oversized user ID,
	// malformed session ID).
	ErrInvalidInput = errors.New("session: invalid input")

	// ErrStore: the store failed (network, server, encoding). A store failure
	// never lets a request through.
	ErrStore = errors.New("session: store failure")

	// ErrRevoker: the Revoker failed to revoke the access tokens of a session.
	// The session itself is gone; see WithRevoker.
	ErrRevoker = errors.New("session: revoker failure")

	// ErrInvalidOption: NewManager was given an option it cannot honour.
	ErrInvalidOption = errors.New("session: invalid option")
)
