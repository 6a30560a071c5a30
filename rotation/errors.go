package rotation

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// (check with errors.Is); the wrapping text gives the detail.
var (
	// ErrInvalidToken is returned for a refresh token this server never
	// issued: garbage, truncated, forged or signed with an unknown key. It is
	// decided before any store access, so a flood of such tokens never
	// touches the store and can never revoke a family.
	ErrInvalidToken = errors.New("rotation: invalid refresh token")
	// ErrExpired is returned when the family's idle or absolute lifetime has
	// passed (or its record is gone from the store, which only happens after
	// expiry or a loss of data): the user must log in again.
	ErrExpired = errors.New("rotation: refresh token expired")
	// ErrReused is returned when a refresh token that was already exchanged
	// is presented again outside the grace period. The family has been
	// revoked before this error is returned.
	ErrReused = errors.New("rotation: refresh token reused; family revoked")
	// ErrRevoked is returned for any token of a revoked family.
	ErrRevoked = errors.New("rotation: refresh token family revoked")
	// ErrInvalidClaims is returned by Issue (and Refresh with a claims
	// refresher) for claims a family cannot be built on, e.g. no subject.
	ErrInvalidClaims = errors.New("rotation: invalid claims")
	// ErrInvalidOption is returned by constructors given an invalid option
	// or missing a required one.
	ErrInvalidOption = errors.New("rotation: invalid option")
	// ErrStore wraps every failure of the underlying store. A store failure
	// never lets a token through.
	ErrStore = errors.New("rotation: store failure")
)
