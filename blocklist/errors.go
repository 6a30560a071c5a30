package blocklist

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// (check with errors.Is); the wrapping text gives the detail.
var (
	// ErrInvalid is returned for unusable input: an empty id, an unknown
	// kind, an id longer than MaxIDLength, nil claims, a bad option.
	ErrInvalid = errors.New("blocklist: invalid input")

	// ErrStale is returned by IsRevoked when the local replica has not heard
	// from the store for longer than the staleness bound (or has never
	// loaded its first snapshot). The verifier then refuses the token: the
	// replica cannot vouch that it has not been revoked.
	ErrStale = errors.New("blocklist: replica is stale")

	// ErrUnavailable wraps a failure of the store (network, server, script).
	ErrUnavailable = errors.New("blocklist: store unavailable")

	// ErrGap is returned by Store.Changes when the change feed cannot be
	// continued from the given cursor: entries after it were trimmed, the
	// store was reset (for example a Redis server restarted empty), or the
	// cursor belongs to another store. The caller must take a new snapshot.
	ErrGap = errors.New("blocklist: change feed gap, resynchronise")

	// ErrClosed is returned by every method of a closed List.
	ErrClosed = errors.New("blocklist: list closed")
)
