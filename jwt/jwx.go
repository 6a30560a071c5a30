package jwt

// Every call into github.com/lestrrat-go/jwx/v2 lives in this file. jwx v2 is
// unmaintained upstream; Credence uses it only for JWK and JWK Set encoding
// and RFC 7638 thumbprints, never for parsing or verifying tokens. Moving to
// another JOSE library touches this file alone.

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// parsedJWK is a JWK reduced to what Credence needs.
type parsedJWK struct {
	raw any    // *rsa/*ecdsa private or public key, ed25519 key, or []byte for oct
	kid string // "" when absent
	alg string // "" when absent
	use string // "" when absent
	// sigOps is false when "key_ops" is present without "sign" or
	// "verify" (RFC 7517 §4.3): the key is not for signatures.
	sigOps bool
}

func fromJWK(k jwk.Key) (parsedJWK, error) {
	var raw any
	if err := k.Raw(&raw); err != nil {
		return parsedJWK{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	// RFC 7518 §6.2.1.2: EC coordinates are exactly the curve's size; jwx
	// accepts longer (zero-padded) ones, so one key would have many JWKs.
	if xy, ok := k.(interface {
		X() []byte
		Y() []byte
	}); ok {
		size := 0
		switch r := raw.(type) {
		case *ecdsa.PublicKey:
			size = (r.Curve.Params().BitSize + 7) / 8
		case *ecdsa.PrivateKey:
			size = (r.Curve.Params().BitSize + 7) / 8
		}
		if size > 0 && (len(xy.X()) != size || len(xy.Y()) != size) {
			return parsedJWK{}, fmt.Errorf("%w: EC coordinates must be %d bytes", ErrInvalidKey, size)
		}
	}
	p := parsedJWK{raw: raw, kid: k.KeyID(), use: k.KeyUsage(), sigOps: k.KeyOps() == nil}
	for _, op := range k.KeyOps() {
		if op == jwk.KeyOpSign || op == jwk.KeyOpVerify {
			p.sigOps = true
		}
	}
	if a := k.Algorithm(); a != nil {
		p.alg = a.String()
	}
	return p, nil
}

// jwkParseKey parses one JWK (JSON).
func jwkParseKey(data []byte) (parsedJWK, error) {
	k, err := jwk.ParseKey(data)
	if err != nil {
		return parsedJWK{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return fromJWK(k)
}

// jwkParseSet parses a JWK Set document.
func jwkParseSet(data []byte) ([]parsedJWK, error) {
	set, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	out := make([]parsedJWK, 0, set.Len())
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		p, err := fromJWK(k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// jwkThumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url-encoded: the default key ID.
func jwkThumbprint(pub crypto.PublicKey) (string, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// jwkPublic returns the public JWK of pub with kid, alg and use=sig set.
func jwkPublic(pub crypto.PublicKey, kid string, alg Algorithm) (json.RawMessage, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if isPriv, err := jwk.IsPrivateKey(k); err != nil || isPriv {
		return nil, fmt.Errorf("%w: refusing to publish a private key", ErrInvalidKey)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: string(alg), jwk.KeyUsageKey: "sig"} {
		if err := k.Set(name, v); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
	}
	return json.Marshal(k)
}
