package rotation

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/credence-go/credence/jwt"
)

// storedClaims is the claims template kept with a family. Times and jti are
// not kept: the issuer sets them afresh for every access token.
type storedClaims struct {
	Issuer    string         `json:"iss,omitempty"`
	Subject   string         `json:"sub"`
	Audience  []string       `json:"aud,omitempty"`
	SessionID string         `json:"sid"`
	ClientID  string         `json:"cid,omitempty"`
	Scope     string         `json:"scp,omitempty"`
	Roles     []string       `json:"rol,omitempty"`
	Extra     map[string]any `json:"ext,omitempty"`
}

func encodeClaims(c jwt.Claims) ([]byte, error) {
	b, err := json.Marshal(storedClaims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, SessionID: c.SessionID,
		ClientID: c.ClientID, Scope: c.Scope, Roles: c.Roles, Extra: c.Extra,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidClaims, err)
	}
	return b, nil
}

func decodeClaims(b []byte) (jwt.Claims, error) {
	var s storedClaims
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // integers in Extra keep their precision
	if err := d.Decode(&s); err != nil {
		return jwt.Claims{}, fmt.Errorf("%w: stored claims unreadable: %w", ErrStore, err)
	}
	return jwt.Claims{
		Issuer: s.Issuer, Subject: s.Subject, Audience: s.Audience, SessionID: s.SessionID,
		ClientID: s.ClientID, Scope: s.Scope, Roles: s.Roles, Extra: s.Extra,
	}, nil
}
