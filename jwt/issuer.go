package jwt

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Issuer signs access tokens with the signing key of a KeySet. It is safe
// for concurrent use and follows the set's rotations.
type Issuer struct {
	keys     *KeySet
	issuer   string
	audience []string
	now      func() time.Time
	typ      string
	ttl      time.Duration
}

// NewIssuer returns an Issuer. It needs WithIssuer; WithAudience sets the
// default audience (a token's own Claims.Audience wins). The lifetime is
// WithTTL (default 10 minutes, at most 15 unless AllowLongLived).
func NewIssuer(keys *KeySet, opts ...Option) (*Issuer, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: nil KeySet", ErrInvalidOption)
	}
	c, err := newConfig(roleIssuer, opts)
	if err != nil {
		return nil, err
	}
	if !c.issuerSet {
		return nil, fmt.Errorf("%w: an issuer needs WithIssuer", ErrInvalidOption)
	}
	if c.ttl > MaxTTL && !c.longLived {
		return nil, fmt.Errorf("%w: TTL %v is over %v; access tokens should be short-lived (AllowLongLived overrides)", ErrInvalidOption, c.ttl, MaxTTL)
	}
	iss := &Issuer{keys: keys, issuer: c.issuer, audience: c.audience, now: c.now, typ: c.typ, ttl: c.ttl}
	return iss, nil
}

// reservedNames may not appear in Claims.Extra: they are set from the
// typed fields, or would confuse a reader of the token.
var reservedNames = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"sid": true, "client_id": true, "scope": true, "roles": true,
	"typ": true, "alg": true, "kid": true, "cnf": true, "act": true,
}

// Issue signs a token for c. It sets iss, iat and nbf (now), a random jti,
// exp (now + TTL, or c.ExpiresAt when that is earlier and in the future),
// aud (c.Audience, else the issuer's), and the header's alg, kid and typ.
// Registered claim names in c.Extra are refused, as are values that cannot
// be encoded as JSON and strings that are not valid UTF-8 (values inside
// Extra follow encoding/json, which replaces invalid UTF-8).
func (is *Issuer) Issue(ctx context.Context, c Claims) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := is.keys.SigningKey()
	now := is.now().Truncate(time.Second)
	exp := now.Add(is.ttl)
	if !c.ExpiresAt.IsZero() {
		if !c.ExpiresAt.After(now) {
			return nil, fmt.Errorf("%w: ExpiresAt %v is not in the future", ErrInvalidOption, c.ExpiresAt)
		}
		if c.ExpiresAt.Before(exp) {
			exp = c.ExpiresAt.Truncate(time.Second)
		}
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return nil, err
	}
	c.Issuer = is.issuer
	if len(c.Audience) == 0 {
		c.Audience = is.audience
	}
	c.IssuedAt, c.NotBefore, c.ExpiresAt = now.UTC(), now.UTC(), exp.UTC()
	c.ID = b64.EncodeToString(jti[:])
	if err := checkUTF8(&c, key.id, is.typ); err != nil {
		return nil, err
	}

	buf := make([]byte, 0, 512)
	buf = appendSegment(buf, is.header(key))
	buf = append(buf, '.')
	payload, err := appendClaims(make([]byte, 0, 256), &c)
	if err != nil {
		return nil, err
	}
	buf = appendSegment(buf, payload)
	sig, err := key.sign(buf)
	if err != nil {
		return nil, fmt.Errorf("jwt: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = appendSegment(buf, sig)
	c.Audience = slices.Clone(c.Audience)
	return &Token{Raw: string(buf), Claims: c}, nil
}

// checkUTF8 refuses strings that JSON cannot carry. Replacing invalid
// UTF-8 with U+FFFD, as encoders do, would sign two distinct subjects (or
// roles, or audiences) as the same one.
func checkUTF8(c *Claims, kid, typ string) error {
	for _, f := range [...]struct{ name, v string }{
		{"iss", c.Issuer}, {"sub", c.Subject}, {"sid", c.SessionID}, {"client_id", c.ClientID},
		{"scope", c.Scope}, {"kid", kid}, {"typ", typ},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidOption, f.name)
		}
	}
	for _, list := range [...]struct {
		name string
		v    []string
	}{{"aud", c.Audience}, {"roles", c.Roles}} {
		for _, v := range list.v {
			if !utf8.ValidString(v) {
				return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidOption, list.name)
			}
		}
	}
	return nil
}

func (is *Issuer) header(k *Key) []byte {
	h := append(make([]byte, 0, 128), `{"alg":`...)
	h = appendString(h, string(k.alg))
	h = append(h, `,"kid":`...)
	h = appendString(h, k.id)
	h = append(h, `,"typ":`...)
	h = appendString(h, is.typ)
	return append(h, '}')
}

func appendSegment(dst, src []byte) []byte {
	n := b64.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	b64.Encode(dst[len(dst):len(dst)+n], src)
	return dst[:len(dst)+n]
}

func appendClaims(b []byte, c *Claims) ([]byte, error) {
	b = append(b, '{')
	first := true
	member := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
	}
	str := func(name, v string) {
		if v != "" {
			member(name)
			b = appendString(b, v)
		}
	}
	date := func(name string, t time.Time) {
		member(name)
		b = strconv.AppendInt(b, t.Unix(), 10)
	}
	str("iss", c.Issuer)
	str("sub", c.Subject)
	switch len(c.Audience) {
	case 0:
	case 1:
		str("aud", c.Audience[0])
	default:
		member("aud")
		b = appendStrings(b, c.Audience)
	}
	date("exp", c.ExpiresAt)
	date("nbf", c.NotBefore)
	date("iat", c.IssuedAt)
	str("jti", c.ID)
	str("sid", c.SessionID)
	str("client_id", c.ClientID)
	str("scope", c.Scope)
	if len(c.Roles) > 0 {
		member("roles")
		b = appendStrings(b, c.Roles)
	}
	if len(c.Extra) > 0 {
		names := make([]string, 0, len(c.Extra))
		for name := range c.Extra {
			if reservedNames[name] {
				return nil, fmt.Errorf("%w: %q is a registered claim: use the Claims field", ErrInvalidOption, name)
			}
			if name == "" || !utf8.ValidString(name) {
				return nil, fmt.Errorf("%w: invalid claim name %q", ErrInvalidOption, name)
			}
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v, err := json.Marshal(c.Extra[name])
			if err != nil {
				return nil, fmt.Errorf("%w: claim %q: %v", ErrInvalidOption, name, err)
			}
			member(name)
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString writes s as a JSON string, escaping what RFC 8259 requires
// and anything that could end the string early (claim-name injection).
// Issue has refused invalid UTF-8 before; were any left, it would become
// U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
