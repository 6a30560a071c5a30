package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
)

// Key is one key bound to exactly one algorithm: a private signing key (or
// any crypto.Signer, e.g. a key held in a KMS), a public verification key, or
// an HMAC secret. A Key is immutable and safe for concurrent use.
//
// A key is only ever used with its own algorithm: an RSA key never verifies
// an HMAC token, an ES256 key never an ES384 one.
type Key struct {
	id     string
	alg    Algorithm
	info   algInfo
	signer crypto.Signer    // nil for public keys and HMAC secrets
	pub    crypto.PublicKey // nil for HMAC secrets
	secret []byte           // HMAC only
}

// Limits on key sizes. RSA keys under 2048 bits are breakable or soon will
// be; above 8192 bits a single verification becomes a denial-of-service lever.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// GenerateKey creates a new private key for alg: P-256/P-384/P-521 for ES*,
// Ed25519 for EdDSA, 2048-bit RSA for RS* and PS*, and a random secret of the
// hash's size for HS*. Its ID is the RFC 7638 thumbprint of the public key
// (for HMAC secrets, a random ID: a thumbprint would be a hash of the secret).
func GenerateKey(alg Algorithm) (*Key, error) {
	info, ok := lookupAlg(alg)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	switch info.fam {
	case famHMAC:
		secret := make([]byte, info.size)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		return NewHMACKey(secret, alg)
	case famEC:
		curve := map[Algorithm]elliptic.Curve{ES256: elliptic.P256(), ES384: elliptic.P384(), ES512: elliptic.P521()}[alg]
		priv, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, err
		}
		return NewKey(priv, alg)
	case famEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return NewKey(priv, alg)
	default:
		priv, err := rsa.GenerateKey(rand.Reader, minRSABits)
		if err != nil {
			return nil, err
		}
		return NewKey(priv, alg)
	}
}

// NewKey binds key to alg. key is a crypto.Signer (any private key type of
// the standard library, or a KMS/HSM signer) or a public key
// (*ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey). HMAC secrets go
// through NewHMACKey. The key's ID is the RFC 7638 thumbprint of its public
// key; use WithID for another.
func NewKey(key any, alg Algorithm) (*Key, error) {
	info, ok := lookupAlg(alg)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	if info.fam == famHMAC {
		return nil, fmt.Errorf("%w: %s needs a secret: use NewHMACKey", ErrInvalidKey, alg)
	}
	k := &Key{alg: alg, info: info}
	switch v := key.(type) {
	case ed25519.PrivateKey:
		if len(v) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: Ed25519 private key of %d bytes", ErrInvalidKey, len(v))
		}
		k.signer, k.pub = v, v.Public()
	case crypto.Signer:
		k.signer, k.pub = v, v.Public()
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		k.pub = v
	case nil:
		return nil, fmt.Errorf("%w: nil key", ErrInvalidKey)
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, key)
	}
	if err := checkPublic(k.pub, alg, info); err != nil {
		return nil, err
	}
	id, err := jwkThumbprint(k.pub)
	if err != nil {
		return nil, err
	}
	k.id = id
	return k, nil
}

// checkPublic enforces the binding of key type, size and curve to alg.
func checkPublic(pub crypto.PublicKey, alg Algorithm, info algInfo) error {
	switch info.fam {
	case famEC:
		p, ok := pub.(*ecdsa.PublicKey)
		if !ok || p == nil || p.Curve == nil {
			return fmt.Errorf("%w: %s needs an ECDSA key, got %T", ErrInvalidKey, alg, pub)
		}
		if (p.Curve.Params().BitSize+7)/8 != info.size {
			return fmt.Errorf("%w: %s needs curve %s, got %s", ErrInvalidKey, alg, curveFor(alg), p.Curve.Params().Name)
		}
		// ECDH validates that the point is on the curve (invalid-curve attacks).
		if _, err := p.ECDH(); err != nil {
			return fmt.Errorf("%w: ECDSA public key: %v", ErrInvalidKey, err)
		}
	case famEdDSA:
		p, ok := pub.(ed25519.PublicKey)
		if !ok || len(p) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: EdDSA needs an Ed25519 key, got %T", ErrInvalidKey, pub)
		}
	case famRSA, famPSS:
		p, ok := pub.(*rsa.PublicKey)
		if !ok || p == nil || p.N == nil {
			return fmt.Errorf("%w: %s needs an RSA key, got %T", ErrInvalidKey, alg, pub)
		}
		if bits := p.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("%w: RSA key of %d bits (need %d to %d)", ErrInvalidKey, bits, minRSABits, maxRSABits)
		}
		if p.E < 65537 || p.E%2 == 0 {
			return fmt.Errorf("%w: RSA public exponent %d (need an odd exponent of at least 65537)", ErrInvalidKey, p.E)
		}
	default:
		return fmt.Errorf("%w: %s is not an asymmetric algorithm", ErrInvalidKey, alg)
	}
	return nil
}

func curveFor(alg Algorithm) string {
	switch alg {
	case ES256:
		return "P-256"
	case ES384:
		return "P-384"
	}
	return "P-521"
}

// NewHMACKey binds secret to an HMAC algorithm. The secret must be at least
// as long as the hash output (32 bytes for HS256, 48 for HS384, 64 for
// HS512; RFC 7518 §3.2) and should come from crypto/rand. The secret is
// copied. HMAC keys get a random ID and are never published.
func NewHMACKey(secret []byte, alg Algorithm) (*Key, error) {
	info, ok := lookupAlg(alg)
	if !ok || info.fam != famHMAC {
		return nil, fmt.Errorf("%w: %q is not an HMAC algorithm", ErrAlgorithm, alg)
	}
	if len(secret) < info.size {
		return nil, fmt.Errorf("%w: %s secret of %d bytes (need at least %d)", ErrInvalidKey, alg, len(secret), info.size)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	return &Key{
		id: base64.RawURLEncoding.EncodeToString(id[:]), alg: alg, info: info,
		secret: append([]byte(nil), secret...),
	}, nil
}

// ParseKey reads one key: PEM (PKCS#8, PKCS#1, SEC1 or PKIX; private or
// public) or one JWK (JSON, "oct" included). The algorithm is the JWK's
// "alg" when present; otherwise it follows from the key: ES256/ES384/ES512
// by curve, EdDSA for Ed25519, RS256 for RSA and HS256 for oct. A JWK keeps
// its own kid; other keys get the thumbprint. Use WithAlgorithm to bind an
// RSA key to PS256 and so on.
func ParseKey(data []byte) (*Key, error) {
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "{") {
		p, err := jwkParseKey([]byte(trimmed))
		if err != nil {
			return nil, err
		}
		return keyFromJWK(p)
	}
	block, _ := pem.Decode([]byte(trimmed))
	if block == nil {
		return nil, fmt.Errorf("%w: neither PEM nor JWK", ErrInvalidKey)
	}
	var raw any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		raw, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		raw, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		raw, err = x509.ParseECPrivateKey(block.Bytes)
	case "PUBLIC KEY":
		raw, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		raw, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: unsupported PEM block %q", ErrInvalidKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	alg, err := inferAlg(raw)
	if err != nil {
		return nil, err
	}
	return NewKey(raw, alg)
}

// inferAlg names the one algorithm a key type implies, RS256 for RSA.
func inferAlg(raw any) (Algorithm, error) {
	pub := raw
	if s, ok := raw.(crypto.Signer); ok {
		pub = s.Public()
	}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return ES256, nil
		case elliptic.P384():
			return ES384, nil
		case elliptic.P521():
			return ES512, nil
		}
		return "", fmt.Errorf("%w: unsupported curve", ErrInvalidKey)
	case ed25519.PublicKey:
		return EdDSA, nil
	case *rsa.PublicKey:
		return RS256, nil
	case []byte:
		return HS256, nil
	}
	return "", fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, raw)
}

func keyFromJWK(p parsedJWK) (*Key, error) {
	if p.use != "" && p.use != "sig" {
		return nil, fmt.Errorf("%w: JWK use %q is not \"sig\"", ErrInvalidKey, p.use)
	}
	if !p.sigOps {
		return nil, fmt.Errorf("%w: JWK key_ops has neither \"sign\" nor \"verify\"", ErrInvalidKey)
	}
	alg := Algorithm(p.alg)
	if alg == "" {
		var err error
		if alg, err = inferAlg(p.raw); err != nil {
			return nil, err
		}
	}
	var k *Key
	var err error
	if secret, ok := p.raw.([]byte); ok {
		k, err = NewHMACKey(secret, alg)
	} else {
		k, err = NewKey(p.raw, alg)
	}
	if err != nil {
		return nil, err
	}
	if p.kid != "" {
		k.id = p.kid
	}
	return k, nil
}

// ParseKeySet reads a JWK Set document of public verification keys: strict
// JSON (a repeated member name, at any depth, is refused). Every
// key must be usable for signatures: a key whose "use" is not "sig", or
// whose "key_ops" has neither "sign" nor "verify", is skipped; an "oct" key (a secret has no place in a published set), a
// private key, an RSA key without "alg" (it could be RS* or PS*), a weak
// key, or a repeated kid makes the whole set invalid. EC and Ed25519 keys
// without "alg" get the algorithm their curve implies.
func ParseKeySet(jwks []byte) ([]*Key, error) {
	// jwx is lenient where parsers disagree (a repeated "keys" member is
	// concatenated, encoding/json keeps the last): the strict reader goes
	// first, so a set means one thing.
	if _, err := countJWKS(jwks); err != nil {
		return nil, fmt.Errorf("%w: JWK Set is not strict JSON: %v", ErrInvalidKey, err)
	}
	parsed, err := jwkParseSet(jwks)
	if err != nil {
		return nil, err
	}
	keys := make([]*Key, 0, len(parsed))
	seen := make(map[string]bool, len(parsed))
	for i, p := range parsed {
		if (p.use != "" && p.use != "sig") || !p.sigOps {
			continue
		}
		switch p.raw.(type) {
		case []byte:
			return nil, fmt.Errorf("%w: key %d: symmetric (oct) key in a JWK Set", ErrInvalidKey, i)
		case crypto.Signer:
			return nil, fmt.Errorf("%w: key %d: private key in a JWK Set", ErrInvalidKey, i)
		case *rsa.PublicKey:
			if p.alg == "" {
				return nil, fmt.Errorf("%w: key %d: RSA key without \"alg\"", ErrInvalidKey, i)
			}
		}
		if info, ok := lookupAlg(Algorithm(p.alg)); p.alg != "" && (!ok || info.fam == famHMAC) {
			return nil, fmt.Errorf("%w: key %d: algorithm %q", ErrInvalidKey, i, p.alg)
		}
		k, err := keyFromJWK(p)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if seen[k.id] {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrInvalidKey, k.id)
		}
		seen[k.id] = true
		keys = append(keys, k)
	}
	return keys, nil
}

// ID returns the key ID (kid).
func (k *Key) ID() string { return k.id }

// Algorithm returns the one algorithm the key is used with.
func (k *Key) Algorithm() Algorithm { return k.alg }

// CanSign reports whether the key can sign: a private key, a signer or an
// HMAC secret.
func (k *Key) CanSign() bool { return k.signer != nil || k.secret != nil }

// WithID returns a copy of the key with another key ID.
func (k *Key) WithID(kid string) *Key {
	c := *k
	c.id = kid
	return &c
}

// WithAlgorithm returns a copy of the key bound to another algorithm of the
// same key type (for example an RSA key moved from RS256 to PS256). The key
// ID is kept.
func (k *Key) WithAlgorithm(alg Algorithm) (*Key, error) {
	info, ok := lookupAlg(alg)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	if k.secret != nil {
		c, err := NewHMACKey(k.secret, alg)
		if err != nil {
			return nil, err
		}
		c.id = k.id
		return c, nil
	}
	if err := checkPublic(k.pub, alg, info); err != nil {
		return nil, err
	}
	c := *k
	c.alg, c.info = alg, info
	return &c, nil
}

// Public returns the public half of the key (the key itself when it is
// already public). It returns nil for HMAC keys: they are never published.
func (k *Key) Public() *Key {
	if k.secret != nil {
		return nil
	}
	if k.signer == nil {
		return k
	}
	c := *k
	c.signer = nil
	return &c
}

// MarshalJSON returns the public JWK with kid, alg and use=sig. It fails for
// HMAC keys, so that a secret can never be published by accident.
func (k *Key) MarshalJSON() ([]byte, error) {
	if k.secret != nil {
		return nil, fmt.Errorf("%w: HMAC secrets are never published", ErrInvalidKey)
	}
	return jwkPublic(k.pub, k.id, k.alg)
}

var _ json.Marshaler = (*Key)(nil)

// Format prints the key as its kid and algorithm, whatever the verb: fmt
// prints unexported fields by reflection, which would put an HMAC secret or
// an Ed25519 private key (both byte slices) in a log line.
func (k Key) Format(f fmt.State, _ rune) {
	kind := "public"
	switch {
	case k.secret != nil:
		kind = "secret"
	case k.signer != nil:
		kind = "private"
	}
	fmt.Fprintf(f, "jwt.Key{kid: %q, alg: %s, %s}", k.id, k.alg, kind)
}

var _ fmt.Formatter = Key{}
