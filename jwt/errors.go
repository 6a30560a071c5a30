package jwt

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (check with errors.Is); the wrapping text gives the detail.
var (
	ErrMalformed    = errors.New("jwt: malformed token")
	ErrTooLarge     = errors.New("jwt: token too large")
	ErrAlgorithm    = errors.New("jwt: algorithm not allowed")
	ErrUnknownKey   = errors.New("jwt: unknown key")
	ErrSignature    = errors.New("jwt: invalid signature")
	ErrType         = errors.New("jwt: wrong token type")
	ErrExpired      = errors.New("jwt: token expired")
	ErrNotYetValid  = errors.New("jwt: token not valid yet")
	ErrIssuer       = errors.New("jwt: wrong issuer")
	ErrAudience     = errors.New("jwt: wrong audience")
	ErrMissingClaim = errors.New("jwt: required claim missing")
	ErrRevoked      = errors.New("jwt: token revoked")

	// ErrLifetime is returned for a token whose exp lies further after its
	// iat (or after now) than an access token may live (15 minutes unless
	// AllowLongLived).
	ErrLifetime = errors.New("jwt: token lifetime too long")

	// ErrInvalidKey is returned when a key is unusable: too short, of the
	// wrong type for its algorithm, or not a key at all.
	ErrInvalidKey = errors.New("jwt: invalid key")
	// ErrInvalidOption is returned by constructors given an option that
	// does not apply to them or a value out of range.
	ErrInvalidOption = errors.New("jwt: invalid option")
	// ErrKeySource is returned when a key source cannot answer (for example
	// a JWKS endpoint that has never been reachable).
	ErrKeySource = errors.New("jwt: key source unavailable")
)
