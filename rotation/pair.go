package rotation

import "time"

// Pair is what Issue and Refresh hand to the client: a short-lived access
// token and the single-use refresh token that renews it.
type Pair struct {
	AccessToken     string
	AccessExpiresAt time.Time
	// RefreshToken is opaque and single-use. Store it like a password.
	RefreshToken string
	// RefreshExpiresAt is the earlier of the idle and absolute expiry.
	RefreshExpiresAt time.Time
	// FamilyID names the family (the login) the tokens belong to: a public
	// handle, safe to log and show, and the argument of RevokeFamily.
	FamilyID string
}
