package jwt

import (
	"crypto"
	_ "crypto/sha256" // register SHA-256 for crypto.Hash
	_ "crypto/sha512" // register SHA-384 and SHA-512
)

// Algorithm is a JWS signature algorithm name (RFC 7518, RFC 8037).
type Algorithm string

// The supported algorithms. "none" is not one of them and never will be.
const (
	ES256 Algorithm = "ES256"
	ES384 Algorithm = "ES384"
	ES512 Algorithm = "ES512"
	EdDSA Algorithm = "EdDSA"
	RS256 Algorithm = "RS256"
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256"
	PS384 Algorithm = "PS384"
	PS512 Algorithm = "PS512"
	HS256 Algorithm = "HS256"
	HS384 Algorithm = "HS384"
	HS512 Algorithm = "HS512"
)

type family uint8

const (
	famUnknown family = iota
	famEC
	famEdDSA
	famRSA
	famPSS
	famHMAC
)

// algInfo describes one algorithm; index into algs by Algorithm.
type algInfo struct {
	fam  family
	hash crypto.Hash
	size int // EC: coordinate size in bytes; HMAC: minimum secret length
}

func lookupAlg(a Algorithm) (algInfo, bool) {
	switch a {
	case ES256:
		return algInfo{famEC, crypto.SHA256, 32}, true
	case ES384:
		return algInfo{famEC, crypto.SHA384, 48}, true
	case ES512:
		return algInfo{famEC, crypto.SHA512, 66}, true
	case EdDSA:
		return algInfo{famEdDSA, 0, 0}, true
	case RS256:
		return algInfo{famRSA, crypto.SHA256, 0}, true
	case RS384:
		return algInfo{famRSA, crypto.SHA384, 0}, true
	case RS512:
		return algInfo{famRSA, crypto.SHA512, 0}, true
	case PS256:
		return algInfo{famPSS, crypto.SHA256, 0}, true
	case PS384:
		return algInfo{famPSS, crypto.SHA384, 0}, true
	case PS512:
		return algInfo{famPSS, crypto.SHA512, 0}, true
	case HS256:
		return algInfo{famHMAC, crypto.SHA256, 32}, true
	case HS384:
		return algInfo{famHMAC, crypto.SHA384, 48}, true
	case HS512:
		return algInfo{famHMAC, crypto.SHA512, 64}, true
	}
	return algInfo{}, false
}

// IsSymmetric reports whether a is an HMAC algorithm.
func (a Algorithm) IsSymmetric() bool {
	info, ok := lookupAlg(a)
	return ok && info.fam == famHMAC
}

// asymmetricAlgs is the verifier's default allow-list.
var asymmetricAlgs = []Algorithm{ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512}
