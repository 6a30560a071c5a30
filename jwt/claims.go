package jwt

import (
	"context"
	"time"
)

// Claims are the claims of an access token (RFC 7519, RFC 9068).
//
// Times have whole-second precision on the wire: Issue truncates them and
// Verify returns them in UTC.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub
	Audience  []string  // aud
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
	IssuedAt  time.Time // iat
	ID        string    // jti
	SessionID string    // sid: the server-side session or refresh-token family the token belongs to
	ClientID  string    // client_id (RFC 9068)
	Scope     string    // scope: space-separated
	Roles     []string  // roles

	// Extra holds private claims. Registered names (those above, plus the
	// JOSE header names) are refused here by the issuer and never filled
	// with them by the verifier. Values are what encoding/json produces.
	Extra map[string]any
}

// HasScope reports whether the space-separated Scope holds s.
func (c *Claims) HasScope(s string) bool {
	if s == "" {
		return false
	}
	scope := c.Scope
	for len(scope) > 0 {
		i := 0
		for i < len(scope) && scope[i] != ' ' {
			i++
		}
		if scope[:i] == s {
			return true
		}
		if i == len(scope) {
			break
		}
		scope = scope[i+1:]
	}
	return false
}

// Token is a signed access token and the claims it carries.
type Token struct {
	Raw    string // the compact JWS: header.payload.signature
	Claims Claims
}

// RevocationChecker tells a Verifier whether a validly signed token has been
// revoked. *blocklist.List satisfies it.
//
// It is called on every verification, cached or not. An error fails the
// verification (fail closed): a checker that cannot answer must say so with
// an error, never with false. c is the copy Verify will return to its
// caller; it is not shared with other calls or with the verifier's cache.
type RevocationChecker interface {
	IsRevoked(ctx context.Context, c *Claims) (bool, error)
}
