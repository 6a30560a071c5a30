package jwt

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// KeySource is where a Verifier finds verification keys.
//
// VerificationKey returns the key whose ID is kid. A token that names no key
// (kid == "") may be verified only when the source holds exactly one key:
// the source returns that key, or an error wrapping ErrUnknownKey when it
// holds several. A key that is not known wraps ErrUnknownKey; a source that
// cannot answer at all (a JWKS endpoint never reached) wraps ErrKeySource.
// The Verifier checks that the key's algorithm equals the token's "alg".
//
// Implementations must be safe for concurrent use, and should return the
// same *Key for the same key for as long as it is valid: verifiers cache by
// key identity, and stop trusting a cached token when the source no longer
// returns the key it was verified with.
type KeySource interface {
	VerificationKey(ctx context.Context, kid string) (*Key, error)
}

// keyMap is an immutable index of verification keys.
type keyMap struct {
	byID map[string]*Key
	only *Key // set when the map holds exactly one key
}

func newKeyMap(keys []*Key) (*keyMap, error) {
	m := &keyMap{byID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", ErrInvalidKey)
		}
		if _, dup := m.byID[k.id]; dup {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrInvalidKey, k.id)
		}
		v := k
		if k.secret == nil {
			v = k.Public() // verification never needs the private half
		}
		m.byID[k.id] = v
	}
	if len(keys) == 1 {
		m.only = m.byID[keys[0].id]
	}
	return m, nil
}

func (m *keyMap) lookup(kid string) (*Key, error) {
	if kid == "" {
		if m.only != nil {
			return m.only, nil
		}
		return nil, fmt.Errorf("%w: token has no kid and the key source holds %d keys", ErrUnknownKey, len(m.byID))
	}
	if k, ok := m.byID[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, truncate(kid, 64))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type staticKeys struct{ m *keyMap }

func (s staticKeys) VerificationKey(_ context.Context, kid string) (*Key, error) {
	if s.m == nil {
		return nil, fmt.Errorf("%w: invalid static key set", ErrKeySource)
	}
	return s.m.lookup(kid)
}

// StaticKeys is a fixed KeySource. Private keys are reduced to their public
// halves. A nil key or a repeated kid makes every lookup fail with
// ErrKeySource (and NewVerifier reports it at construction).
func StaticKeys(keys ...*Key) KeySource {
	m, err := newKeyMap(keys)
	if err != nil {
		return staticKeys{}
	}
	return staticKeys{m}
}

// KeySet holds the key that signs and the keys that still verify. It is a
// KeySource, safe for concurrent use: rotation and retirement take effect
// for verifications that start after them, without blocking any.
//
// Rotate the signing key ahead of retiring the old one by at least the
// access-token lifetime, so tokens it signed expire before it stops
// verifying; publish the new key (JWKSHandler) before it signs when other
// services verify from the JWK Set.
type KeySet struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[keySetSnap]
}

type keySetSnap struct {
	signing *Key
	keys    []*Key // verification keys in insertion order, signing key included
	m       *keyMap
}

// NewKeySet returns a set in which signing signs (and verifies) and
// verifyOnly only verify.
func NewKeySet(signing *Key, verifyOnly ...*Key) (*KeySet, error) {
	if signing == nil || !signing.CanSign() {
		return nil, fmt.Errorf("%w: the signing key must be a private key or an HMAC secret", ErrInvalidKey)
	}
	ks := &KeySet{}
	if err := ks.store(signing, append([]*Key{signing}, verifyOnly...)); err != nil {
		return nil, err
	}
	return ks, nil
}

func (ks *KeySet) store(signing *Key, keys []*Key) error {
	m, err := newKeyMap(keys)
	if err != nil {
		return err
	}
	// Keep the verification halves, so that a key that stays in the set
	// stays the same *Key across changes and verifiers' caches keep it.
	for i, k := range keys {
		keys[i] = m.byID[k.id]
	}
	ks.snap.Store(&keySetSnap{signing: signing, keys: keys, m: m})
	return nil
}

// VerificationKey implements KeySource.
func (ks *KeySet) VerificationKey(_ context.Context, kid string) (*Key, error) {
	return ks.snap.Load().m.lookup(kid)
}

// SigningKey returns the key that signs now.
func (ks *KeySet) SigningKey() *Key { return ks.snap.Load().signing }

// Keys returns the verification keys, public halves for asymmetric keys.
func (ks *KeySet) Keys() []*Key {
	return append([]*Key(nil), ks.snap.Load().keys...)
}

// Add adds a key that verifies but does not sign. Publish a new signing key
// this way first (JWKSHandler serves it at once), wait until verifiers that
// read the JWK Set have refreshed, then Rotate to it: no verifier ever sees
// a token from a key it has not heard of.
func (ks *KeySet) Add(k *Key) error {
	if k == nil {
		return fmt.Errorf("%w: nil key", ErrInvalidKey)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	s := ks.snap.Load()
	if _, dup := s.m.byID[k.id]; dup {
		return fmt.Errorf("%w: kid %q is already in the set", ErrInvalidKey, k.id)
	}
	return ks.store(s.signing, append(append(make([]*Key, 0, len(s.keys)+1), s.keys...), k))
}

// Rotate makes next the signing key. The previous signing key keeps
// verifying until it is retired. Rotating to a key already in the set
// promotes it.
func (ks *KeySet) Rotate(next *Key) error {
	if next == nil || !next.CanSign() {
		return fmt.Errorf("%w: the signing key must be a private key or an HMAC secret", ErrInvalidKey)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	s := ks.snap.Load()
	keys := make([]*Key, 0, len(s.keys)+1)
	for _, k := range s.keys {
		if k.id != next.id {
			keys = append(keys, k)
		}
	}
	keys = append(keys, next)
	return ks.store(next, keys)
}

// Retire removes the key kid: tokens it signed stop verifying at once, and
// verifiers' caches stop answering for them. The signing key cannot be
// retired; rotate first.
func (ks *KeySet) Retire(kid string) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	s := ks.snap.Load()
	if s.signing.id == kid {
		return fmt.Errorf("%w: %q is the signing key; rotate before retiring it", ErrInvalidKey, kid)
	}
	keys := make([]*Key, 0, len(s.keys))
	for _, k := range s.keys {
		if k.id != kid {
			keys = append(keys, k)
		}
	}
	if len(keys) == len(s.keys) {
		return fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return ks.store(s.signing, keys)
}
