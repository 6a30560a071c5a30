package jwt

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// The strict compact-serialization path (RFC 7515 §7.1, RFC 8725 §3.11).

var b64 = base64.RawURLEncoding

// splitCompact returns the three segments of a compact JWS, refusing any
// byte outside the base64url alphabet and '.', and empty segments. This
// also refuses white space, padding, the standard alphabet and JSON
// serializations before anything is decoded.
func splitCompact(raw string) (h, p, s string, err error) {
	dot1, dot2 := -1, -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return "", "", "", fmt.Errorf("%w: more than three segments", ErrMalformed)
			}
		default:
			return "", "", "", fmt.Errorf("%w: byte 0x%02x at offset %d is not base64url", ErrMalformed, c, i)
		}
	}
	if dot2 < 0 {
		return "", "", "", fmt.Errorf("%w: not three segments", ErrMalformed)
	}
	h, p, s = raw[:dot1], raw[dot1+1:dot2], raw[dot2+1:]
	if h == "" || p == "" || s == "" {
		return "", "", "", fmt.Errorf("%w: empty segment", ErrMalformed)
	}
	return h, p, s, nil
}

// decodeSegment appends the decoded canonical unpadded base64url segment to
// dst. Non-canonical encodings (set bits after the last byte) are refused,
// so that one token has exactly one spelling.
func decodeSegment(dst []byte, seg, what string) ([]byte, error) {
	if len(seg)%4 == 1 {
		return nil, fmt.Errorf("%w: %s is not canonical base64url", ErrMalformed, what)
	}
	i := 0
	for ; i+4 <= len(seg); i += 4 {
		a, b, c, d := b64dec[seg[i]], b64dec[seg[i+1]], b64dec[seg[i+2]], b64dec[seg[i+3]]
		if a|b|c|d == 0xff {
			return nil, fmt.Errorf("%w: %s is not base64url", ErrMalformed, what)
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(seg) - i {
	case 2:
		a, b := b64dec[seg[i]], b64dec[seg[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return nil, fmt.Errorf("%w: %s is not canonical base64url", ErrMalformed, what)
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64dec[seg[i]], b64dec[seg[i+1]], b64dec[seg[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return nil, fmt.Errorf("%w: %s is not canonical base64url", ErrMalformed, what)
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, nil
}

// b64dec maps base64url characters to their values and all others to 0xff.
// Values are at most 63, so a|b|c|d == 0xff only when one of them is 0xff.
var b64dec = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// header is the part of a JOSE header Credence reads. jku, x5u, jwk, x5c
// and their kin are never read: keys come only from the KeySource.
type header struct {
	alg Algorithm
	kid string
	typ string
	has uint8
}

const (
	hasAlg = 1 << iota
	hasTyp
)

func parseHeader(b []byte) (header, error) {
	var h header
	r := jsonReader{b: b}
	err := r.object(func(name []byte) error {
		switch string(name) {
		case "alg":
			s, err := r.str()
			if err != nil {
				return err
			}
			a, ok := algFromBytes(s)
			if !ok {
				return fmt.Errorf("%w: %q", ErrAlgorithm, truncate(string(s), 16))
			}
			h.alg = a
			h.has |= hasAlg
		case "kid":
			s, err := r.str()
			if err != nil {
				return err
			}
			h.kid = string(s)
		case "typ":
			s, err := r.str()
			if err != nil {
				return err
			}
			h.typ = string(s)
			h.has |= hasTyp
		case "crit":
			// Credence understands no extension header, so any crit (even
			// an empty or malformed one) is refused (RFC 7515 §4.1.11).
			return fmt.Errorf("%w: crit header", ErrMalformed)
		case "b64":
			// RFC 7797: JWTs must not use unencoded payloads.
			return fmt.Errorf("%w: b64 header", ErrMalformed)
		case "cty":
			// Nested JWTs are not access tokens (RFC 7519 §5.2).
			return fmt.Errorf("%w: cty header (nested token)", ErrMalformed)
		default:
			_, err := r.skip(1)
			return err
		}
		return nil
	})
	if err == nil && !r.end() {
		err = errJSON
	}
	if err != nil {
		return header{}, wrapJSON(err, "header")
	}
	if h.has&hasAlg == 0 {
		return header{}, fmt.Errorf("%w: header has no alg", ErrAlgorithm)
	}
	return h, nil
}

// wrapJSON keeps our sentinels and makes everything else ErrMalformed.
func wrapJSON(err error, what string) error {
	switch err {
	case errJSON:
		return fmt.Errorf("%w: %s is not a strict JSON object", ErrMalformed, what)
	case errDuplicate:
		return fmt.Errorf("%w: %s has a duplicate member", ErrMalformed, what)
	}
	return err
}

func algFromBytes(b []byte) (Algorithm, bool) {
	switch string(b) {
	case "ES256":
		return ES256, true
	case "ES384":
		return ES384, true
	case "ES512":
		return ES512, true
	case "EdDSA":
		return EdDSA, true
	case "RS256":
		return RS256, true
	case "RS384":
		return RS384, true
	case "RS512":
		return RS512, true
	case "PS256":
		return PS256, true
	case "PS384":
		return PS384, true
	case "PS512":
		return PS512, true
	case "HS256":
		return HS256, true
	case "HS384":
		return HS384, true
	case "HS512":
		return HS512, true
	}
	return "", false
}

// present records which claims a token carried, for WithRequiredClaims.
type present uint16

const (
	hasIss present = 1 << iota
	hasSub
	hasAud
	hasExp
	hasNbf
	hasIat
	hasJti
	hasSid
	hasClientID
	hasScope
	hasRoles
)

var registeredClaims = map[string]present{
	"iss": hasIss, "sub": hasSub, "aud": hasAud, "exp": hasExp, "nbf": hasNbf, "iat": hasIat,
	"jti": hasJti, "sid": hasSid, "client_id": hasClientID, "scope": hasScope, "roles": hasRoles,
}

// parseClaims decodes the payload strictly into c. intern returns a
// canonical string for values that usually equal a configured one (iss,
// aud), sparing an allocation.
func parseClaims(b []byte, c *Claims, intern func([]byte) string) (present, error) {
	var has present
	r := jsonReader{b: b}
	str := func(dst *string, bit present) error {
		s, err := r.str()
		if err != nil {
			return err
		}
		*dst = string(s)
		has |= bit
		return nil
	}
	date := func(dst *time.Time, bit present) error {
		v, err := r.numericDate()
		if err != nil {
			return err
		}
		*dst = time.Unix(v, 0).UTC()
		has |= bit
		return nil
	}
	err := r.object(func(name []byte) error {
		switch string(name) {
		case "iss":
			s, err := r.str()
			if err != nil {
				return err
			}
			c.Issuer = intern(s)
			has |= hasIss
			return nil
		case "sub":
			return str(&c.Subject, hasSub)
		case "aud":
			if r.peek() == '"' {
				s, err := r.str()
				if err != nil {
					return err
				}
				c.Audience = []string{intern(s)}
			} else {
				var err error
				if c.Audience, err = r.strings(false, nil); err != nil {
					return err
				}
			}
			has |= hasAud
			return nil
		case "exp":
			return date(&c.ExpiresAt, hasExp)
		case "nbf":
			return date(&c.NotBefore, hasNbf)
		case "iat":
			return date(&c.IssuedAt, hasIat)
		case "jti":
			return str(&c.ID, hasJti)
		case "sid":
			return str(&c.SessionID, hasSid)
		case "client_id":
			return str(&c.ClientID, hasClientID)
		case "scope":
			return str(&c.Scope, hasScope)
		case "roles":
			var err error
			c.Roles, err = r.strings(false, nil)
			has |= hasRoles
			return err
		}
		raw, err := r.skip(1)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return errJSON
		}
		if c.Extra == nil {
			c.Extra = make(map[string]any)
		}
		c.Extra[string(name)] = v
		return nil
	})
	if err == nil && !r.end() {
		err = errJSON
	}
	if err != nil {
		return 0, wrapJSON(err, "claims")
	}
	return has, nil
}
