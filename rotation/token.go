package rotation

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A refresh token is
//
//	"crt_" base64url( version(1) | family id(16) | generation(8, big endian) | secret(32) | MAC(32) )
//
// where MAC = HMAC-SHA256(macKey, "crt_" | version | family | generation |
// secret). The family id and generation select the record (and, in Redis
// Cluster, the hash slot); the secret is the verifier the store knows only
// by its SHA-256; the MAC lets a server refuse anything it did not mint
// before touching the store. The prefix makes leaked tokens easy to spot
// for secret scanners.
//
// A family's first secret comes from crypto/rand. Each successor's secret is
// HMAC-SHA256(successorKey, family | generation+1 | parent secret): any
// instance holding the server key and the parent token derives the same
// successor, which is how a replay within the grace period gets the same
// token back without the store ever holding a usable one. Deriving needs
// both the server key and the parent secret.
const (
	tokenPrefix   = "crt_"
	tokenVersion  = 1
	familyIDSize  = 16
	secretSize    = 32
	macSize       = sha256.Size
	payloadSize   = 1 + familyIDSize + 8 + secretSize
	rawTokenSize  = payloadSize + macSize
	maxGeneration = 1 << 52 // far beyond any real family; keeps Lua's float64 numbers exact
)

var (
	b64            = base64.RawURLEncoding.Strict()
	tokenLen       = len(tokenPrefix) + b64.EncodedLen(rawTokenSize)
	familyIDStrLen = b64.EncodedLen(familyIDSize)
)

// keyring holds the keys derived from the server secrets: MAC keys (the
// first mints, all verify) and successor-derivation keys (the first
// derives; the others only match a head another instance derived during a
// key roll).
type keyring struct {
	macKeys       [][]byte
	successorKeys [][]byte
}

func subkey(secret []byte, label string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("credence/rotation/v1 " + label))
	return h.Sum(nil)
}

func newKeyring(current []byte, previous [][]byte) *keyring {
	k := &keyring{}
	for _, s := range append([][]byte{current}, previous...) {
		k.macKeys = append(k.macKeys, subkey(s, "mac"))
		k.successorKeys = append(k.successorKeys, subkey(s, "successor"))
	}
	return k
}

// refreshToken is a parsed, MAC-verified refresh token.
type refreshToken struct {
	family     [familyIDSize]byte
	generation uint64
	secret     [secretSize]byte
}

func (t *refreshToken) familyID() string { return b64.EncodeToString(t.family[:]) }

func (t *refreshToken) hash() Hash { return sha256.Sum256(t.secret[:]) }

func macSum(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(tokenPrefix))
	h.Write(payload)
	return h.Sum(nil)
}

func (t *refreshToken) payload() []byte {
	p := make([]byte, 0, payloadSize)
	p = append(p, tokenVersion)
	p = append(p, t.family[:]...)
	p = binary.BigEndian.AppendUint64(p, t.generation)
	return append(p, t.secret[:]...)
}

// encode mints the token string under the current MAC key.
func (k *keyring) encode(t *refreshToken) string {
	p := t.payload()
	raw := append(p, macSum(k.macKeys[0], p)...)
	return tokenPrefix + b64.EncodeToString(raw)
}

// parse checks a token's shape and MAC. Every failure is ErrInvalidToken and
// costs no store access.
func (k *keyring) parse(s string) (*refreshToken, error) {
	if len(s) != tokenLen || s[:len(tokenPrefix)] != tokenPrefix {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	var raw [rawTokenSize]byte
	n, err := b64.Decode(raw[:], []byte(s[len(tokenPrefix):]))
	if err != nil || n != rawTokenSize {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	payload, sum := raw[:payloadSize], raw[payloadSize:]
	ok := false
	for _, key := range k.macKeys {
		// Every key is tried, so the time taken says nothing about which
		// one matched.
		if hmac.Equal(macSum(key, payload), sum) {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: bad MAC", ErrInvalidToken)
	}
	if payload[0] != tokenVersion {
		return nil, fmt.Errorf("%w: unknown version", ErrInvalidToken)
	}
	t := &refreshToken{}
	copy(t.family[:], payload[1:1+familyIDSize])
	t.generation = binary.BigEndian.Uint64(payload[1+familyIDSize:])
	copy(t.secret[:], payload[1+familyIDSize+8:])
	if t.generation >= maxGeneration {
		return nil, fmt.Errorf("%w: generation out of range", ErrInvalidToken)
	}
	return t, nil
}

// successor derives the next token of t's family under the current key.
func (k *keyring) successor(t *refreshToken) *refreshToken { return k.successorUnder(t, 0) }

// successorUnder derives the next token of t's family under successor key
// i (0 is the current key's).
func (k *keyring) successorUnder(t *refreshToken, i int) *refreshToken {
	next := &refreshToken{family: t.family, generation: t.generation + 1}
	h := hmac.New(sha256.New, k.successorKeys[i])
	h.Write(t.family[:])
	h.Write(binary.BigEndian.AppendUint64(nil, next.generation))
	h.Write(t.secret[:])
	copy(next.secret[:], h.Sum(nil))
	return next
}

// newFamilyToken returns generation 0 of a new family, from crypto/rand.
func newFamilyToken() (*refreshToken, error) {
	t := &refreshToken{}
	if _, err := rand.Read(t.family[:]); err != nil {
		return nil, fmt.Errorf("rotation: random family id: %w", err)
	}
	if _, err := rand.Read(t.secret[:]); err != nil {
		return nil, fmt.Errorf("rotation: random secret: %w", err)
	}
	return t, nil
}

// validFamilyID reports whether id is a family id this package could have
// made; anything else cannot name a stored family.
func validFamilyID(id string) bool {
	if len(id) != familyIDStrLen {
		return false
	}
	var buf [familyIDSize]byte
	n, err := b64.Decode(buf[:], []byte(id))
	return err == nil && n == familyIDSize
}
