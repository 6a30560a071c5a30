package jwt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	keys     KeySource
	issuer   string
	audience []string
	anyAud   bool
	now      func() time.Time
	typ      string
	algs     [16]bool // indexed by algIndex
	leeway   time.Duration
	maxTTL   time.Duration // 0: no limit (AllowLongLived)
	required present
	private  []string // required private claims
	revoke   RevocationChecker
	maxSize  int
	cache    *cache
}

// NewVerifier returns a Verifier that finds keys in keys. It refuses to
// build without WithIssuer and an audience decision (WithAudience or
// AnyAudience), and with issuer-only options.
//
// Verify follows a strict path (see the package documentation): the size
// limit first; exactly three canonical base64url segments; a header read
// strictly, whose alg must be allowed and equal to the key's; the key found
// by kid in keys only (jku, x5u, jwk and x5c are never used); the signature;
// claims read strictly; then exp (always required), nbf, iat, iss, aud, the
// required claims, the lifetime (at most 15 minutes unless AllowLongLived)
// and revocation.
func NewVerifier(keys KeySource, opts ...Option) (*Verifier, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: nil KeySource", ErrInvalidOption)
	}
	if s, ok := keys.(staticKeys); ok && s.m == nil {
		return nil, fmt.Errorf("%w: StaticKeys was given a nil key or a repeated kid", ErrInvalidKey)
	}
	c, err := newConfig(roleVerifier, opts)
	if err != nil {
		return nil, err
	}
	if !c.issuerSet {
		return nil, fmt.Errorf("%w: a verifier needs WithIssuer", ErrInvalidOption)
	}
	if c.audienceSet == c.anyAudience {
		return nil, fmt.Errorf("%w: a verifier needs exactly one of WithAudience and AnyAudience", ErrInvalidOption)
	}
	v := &Verifier{
		keys: keys, issuer: c.issuer, audience: c.audience, anyAud: c.anyAudience,
		now: c.now, typ: c.typ, leeway: c.leeway, revoke: c.revocation, maxSize: c.maxSize,
	}
	if !c.longLived {
		v.maxTTL = MaxTTL
	}
	algs := c.algs
	if algs == nil {
		algs = asymmetricAlgs
	}
	for _, a := range algs {
		v.algs[algIndex(a)] = true
	}
	for _, name := range c.required {
		if bit, ok := registeredClaims[name]; ok {
			v.required |= bit
		} else {
			v.private = append(v.private, name)
		}
	}
	if c.cache > 0 {
		v.cache = newCache(c.cache)
	}
	return v, nil
}

func algIndex(a Algorithm) int {
	for i, b := range allAlgs {
		if a == b {
			return i + 1
		}
	}
	return 0
}

var allAlgs = [...]Algorithm{ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512, HS256, HS384, HS512}

// Verify checks raw and returns its claims. A token that fails any check
// returns nil claims and an error wrapping exactly one sentinel of this
// package (ErrRevoked also wraps the RevocationChecker's error when the
// check itself failed).
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > v.maxSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(raw), v.maxSize)
	}
	if v.cache != nil {
		if e := v.cache.get(raw); e != nil {
			// The key must still be the one the token was verified with:
			// a retired key ends every cached token it signed.
			if k, err := v.keys.VerificationKey(ctx, e.kid); err != nil || k != e.key {
				v.cache.remove(raw)
			} else {
				if err := v.checkTime(&e.claims, v.now()); err != nil {
					return nil, err
				}
				// The checker gets the caller's copy: the entry is shared
				// by concurrent calls and must stay as verified.
				c := e.claims.clone()
				if err := v.checkRevoked(ctx, c); err != nil {
					return nil, err
				}
				return c, nil
			}
		}
	}
	c, key, kid, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var verified *Claims
	if v.cache != nil {
		verified = c.clone() // taken before the checker sees c
	}
	if err := v.checkRevoked(ctx, c); err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(raw, &cacheEntry{claims: *verified, key: key, kid: kid})
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, *Key, string, error) {
	hs, ps, ss, err := splitCompact(raw)
	if err != nil {
		return nil, nil, "", err
	}
	// One buffer holds the three decoded segments; sized once, so a long
	// token costs one allocation rather than a series of appends.
	var stack [1024]byte
	buf := stack[:0]
	if n := len(raw)*3/4 + 4; n > len(stack) {
		buf = make([]byte, 0, n)
	}
	hb, err := decodeSegment(buf, hs, "header")
	if err != nil {
		return nil, nil, "", err
	}
	h, err := parseHeader(hb)
	if err != nil {
		return nil, nil, "", err
	}
	if !v.algs[algIndex(h.alg)] {
		return nil, nil, "", fmt.Errorf("%w: %s", ErrAlgorithm, h.alg)
	}
	if v.typ != "" && (h.has&hasTyp == 0 || !typeMatches(v.typ, h.typ)) {
		return nil, nil, "", fmt.Errorf("%w: typ %q (want %q)", ErrType, truncate(h.typ, 32), v.typ)
	}
	key, err := v.keys.VerificationKey(ctx, h.kid)
	if err != nil {
		if !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrKeySource) {
			err = fmt.Errorf("%w: %w", ErrKeySource, err)
		}
		return nil, nil, "", err
	}
	if key == nil {
		// A KeySource breaking its contract must not panic the verifier.
		return nil, nil, "", fmt.Errorf("%w: key source returned no key and no error", ErrKeySource)
	}
	if key.alg != h.alg {
		return nil, nil, "", fmt.Errorf("%w: header alg %s, key %q is %s", ErrAlgorithm, h.alg, truncate(key.id, 64), key.alg)
	}
	// Each segment is decoded into the spare capacity after the previous
	// one (buf while it fits; append grows past it for long headers or
	// large RSA signatures).
	sig, err := decodeSegment(hb[len(hb):], ss, "signature")
	if err != nil {
		return nil, nil, "", err
	}
	if !key.verify([]byte(raw[:len(hs)+1+len(ps)]), sig) {
		return nil, nil, "", ErrSignature
	}
	pb, err := decodeSegment(sig[len(sig):], ps, "payload")
	if err != nil {
		return nil, nil, "", err
	}
	c := &Claims{}
	has, err := parseClaims(pb, c, v.intern)
	if err != nil {
		return nil, nil, "", err
	}
	if err := v.checkClaims(c, has); err != nil {
		return nil, nil, "", err
	}
	return c, key, h.kid, nil
}

// intern returns the configured issuer or audience string when b equals it.
func (v *Verifier) intern(b []byte) string {
	if string(b) == v.issuer {
		return v.issuer
	}
	for _, a := range v.audience {
		if string(b) == a {
			return a
		}
	}
	return string(b)
}

func (v *Verifier) checkClaims(c *Claims, has present) error {
	if has&hasExp == 0 {
		return fmt.Errorf("%w: exp", ErrMissingClaim)
	}
	if c.ExpiresAt.Unix() <= 0 {
		return fmt.Errorf("%w: exp is not positive", ErrExpired)
	}
	now := v.now()
	if err := v.checkTime(c, now); err != nil {
		return err
	}
	if has&hasIss == 0 || c.Issuer != v.issuer {
		return fmt.Errorf("%w: %q", ErrIssuer, truncate(c.Issuer, 64))
	}
	if !v.anyAud && !v.audienceOK(c.Audience) {
		return fmt.Errorf("%w: %q", ErrAudience, truncate(strings.Join(c.Audience, " "), 64))
	}
	if missing := v.required &^ has; missing != 0 {
		for name, bit := range registeredClaims {
			if missing&bit != 0 {
				return fmt.Errorf("%w: %s", ErrMissingClaim, name)
			}
		}
	}
	for _, name := range v.private {
		if _, ok := c.Extra[name]; !ok {
			return fmt.Errorf("%w: %s", ErrMissingClaim, name)
		}
	}
	if v.maxTTL > 0 {
		// A token that claims to live longer than an access token may is
		// not one, whatever it says about when it was issued.
		start := now
		if has&hasIat != 0 && c.IssuedAt.Before(now) {
			start = c.IssuedAt
		}
		if c.ExpiresAt.Sub(start) > v.maxTTL+v.leeway {
			return fmt.Errorf("%w: exp %v is more than %v after iat", ErrLifetime, c.ExpiresAt, v.maxTTL)
		}
	}
	return nil
}

// checkTime applies exp, nbf and iat with the leeway; it runs on cached
// tokens too.
func (v *Verifier) checkTime(c *Claims, now time.Time) error {
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return fmt.Errorf("%w: at %v", ErrExpired, c.ExpiresAt)
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(v.leeway)) {
		return fmt.Errorf("%w: nbf %v", ErrNotYetValid, c.NotBefore)
	}
	// IssuedAt is zero only when iat is absent (a present one is ≥ 1970).
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(v.leeway)) {
		return fmt.Errorf("%w: issued in the future (iat %v)", ErrNotYetValid, c.IssuedAt)
	}
	return nil
}

func (v *Verifier) audienceOK(aud []string) bool {
	for _, a := range aud {
		if slices.Contains(v.audience, a) {
			return true
		}
	}
	return false
}

func (v *Verifier) checkRevoked(ctx context.Context, c *Claims) error {
	if v.revoke == nil {
		return nil
	}
	revoked, err := v.revoke.IsRevoked(ctx, c)
	if err != nil {
		return fmt.Errorf("%w: revocation check failed (failing closed): %w", ErrRevoked, err)
	}
	if revoked {
		return ErrRevoked
	}
	return nil
}

// clone returns a copy that shares nothing mutable with c.
func (c *Claims) clone() *Claims {
	d := *c
	d.Audience = slices.Clone(c.Audience)
	d.Roles = slices.Clone(c.Roles)
	if c.Extra != nil {
		d.Extra = make(map[string]any, len(c.Extra))
		for k, v := range c.Extra {
			d.Extra[k] = cloneJSON(v)
		}
	}
	return &d
}

// cloneJSON deep-copies a value decoded by encoding/json: a caller that
// edits a nested object or array of its claims must not change the cached
// copy (or race with another caller). Scalars are immutable.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneJSON(e)
		}
		return s
	}
	return v
}
