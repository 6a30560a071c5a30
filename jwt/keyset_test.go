package jwt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewKeySet(t *testing.T) {
	a, b := vtKey(t, ES256, 0), vtKey(t, EdDSA, 0)
	ks, err := NewKeySet(a, b.Public())
	require.NoError(t, err)
	require.Same(t, a, ks.SigningKey())
	keys := ks.Keys()
	require.Len(t, keys, 2)
	for _, k := range keys {
		require.False(t, k.CanSign(), "Keys returns public halves only")
	}
	for name, fn := range map[string]func() (*KeySet, error){
		"nil signing key":     func() (*KeySet, error) { return NewKeySet(nil) },
		"public signing key":  func() (*KeySet, error) { return NewKeySet(a.Public()) },
		"repeated kid":        func() (*KeySet, error) { return NewKeySet(a, a.Public()) },
		"nil verify-only key": func() (*KeySet, error) { return NewKeySet(a, nil) },
		"same kid, other key": func() (*KeySet, error) { return NewKeySet(a, b.Public().WithID(a.ID())) },
	} {
		t.Run(name, func(t *testing.T) {
			ks, err := fn()
			require.ErrorIs(t, err, ErrInvalidKey)
			require.Nil(t, ks)
		})
	}
	// HMAC keys sign and verify, and stay out of Keys' public halves
	// untouched (they have no public half).
	h := vtKey(t, HS256, 0)
	hks, err := NewKeySet(h)
	require.NoError(t, err)
	k, err := hks.VerificationKey(context.Background(), h.ID())
	require.NoError(t, err)
	require.True(t, k.verify([]byte("m"), mustSign(t, h, "m")))
}

func TestKeySetVerificationKeyNeverPrivate(t *testing.T) {
	a := vtKey(t, ES256, 0)
	ks, err := NewKeySet(a)
	require.NoError(t, err)
	k, err := ks.VerificationKey(context.Background(), a.ID())
	require.NoError(t, err)
	require.False(t, k.CanSign())
	k, err = ks.VerificationKey(context.Background(), "")
	require.NoError(t, err, "one key: no kid needed")
	require.Equal(t, a.ID(), k.ID())
	_, err = ks.VerificationKey(context.Background(), "nope")
	require.ErrorIs(t, err, ErrUnknownKey)
}

func TestKeySetRotateAndRetire(t *testing.T) {
	clock := newVTClock(vtT0)
	k1, k2, k3 := vtKey(t, ES256, 0), vtKey(t, ES256, 1), vtKey(t, EdDSA, 0)
	ks, err := NewKeySet(k1)
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	v := vtVerifier(t, ks, clock.Now)
	issue := func() string {
		tok, err := is.Issue(context.Background(), Claims{Subject: "alice"})
		require.NoError(t, err)
		return tok.Raw
	}
	t1 := issue()
	require.NoError(t, ks.Rotate(k2))
	require.Same(t, k2, ks.SigningKey())
	t2 := issue()
	for _, tok := range []string{t1, t2} {
		_, err := v.Verify(context.Background(), tok)
		require.NoError(t, err, "the previous key keeps verifying after a rotation")
	}
	require.Len(t, ks.Keys(), 2)

	// The signing key cannot be retired; rotate first.
	require.ErrorIs(t, ks.Retire(k2.ID()), ErrInvalidKey)
	require.ErrorIs(t, ks.Retire("unknown"), ErrUnknownKey)
	require.NoError(t, ks.Retire(k1.ID()))
	c, err := v.Verify(context.Background(), t1)
	requireRefused(t, c, err, ErrUnknownKey)
	_, err = v.Verify(context.Background(), t2)
	require.NoError(t, err)
	require.ErrorIs(t, ks.Retire(k1.ID()), ErrUnknownKey, "already retired")

	// Rotating to a key that is already in the set promotes it.
	require.NoError(t, ks.Rotate(k3))
	require.NoError(t, ks.Rotate(k2))
	require.Same(t, k2, ks.SigningKey())
	require.Len(t, ks.Keys(), 2)
	// Rotating to something that cannot sign is refused and changes nothing.
	require.ErrorIs(t, ks.Rotate(k3.Public()), ErrInvalidKey)
	require.ErrorIs(t, ks.Rotate(nil), ErrInvalidKey)
	require.Same(t, k2, ks.SigningKey())
	// A new key with the kid of a different key replaces it.
	require.NoError(t, ks.Rotate(k1.WithID(k3.ID())))
	k, err := ks.VerificationKey(context.Background(), k3.ID())
	require.NoError(t, err)
	require.Equal(t, ES256, k.Algorithm())
}

// TestKeySetRotateWhileVerifying runs verifications on several goroutines
// while another rotates the signing key and retires old ones (run it with
// -race). Tokens of the key that is never retired verify throughout; a
// token of a retired key fails only with ErrUnknownKey; tokens of the key
// that signs now always verify.
func TestKeySetRotateWhileVerifying(t *testing.T) {
	clock := newVTClock(vtT0)
	stable := vtKey(t, ES256, 0)
	ks, err := NewKeySet(stable)
	require.NoError(t, err)
	is := vtIssuer(t, ks, clock.Now)
	stableTok, err := is.Issue(context.Background(), Claims{Subject: "stable"})
	require.NoError(t, err)
	v := vtVerifier(t, ks, clock.Now, WithCache(64))
	vNoCache := vtVerifier(t, ks, clock.Now)

	const rotations = 20
	keys := make([]*Key, rotations)
	for i := range keys {
		// Ed25519 keys are cheap to make; IDs are unique per rotation.
		k, err := GenerateKey(EdDSA)
		require.NoError(t, err)
		keys[i] = k
	}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		current  []string // tokens of recently rotated-in keys
		failures []error
	)
	fail := func(err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
	}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ver := v
			if g%2 == 1 {
				ver = vNoCache
			}
			for !stop.Load() {
				if _, err := ver.Verify(context.Background(), stableTok.Raw); err != nil {
					fail(fmt.Errorf("stable token: %w", err))
					return
				}
				mu.Lock()
				toks := append([]string(nil), current...)
				mu.Unlock()
				for _, tok := range toks {
					c, err := ver.Verify(context.Background(), tok)
					if err != nil && !errors.Is(err, ErrUnknownKey) {
						fail(fmt.Errorf("rotated token: %w", err))
						return
					}
					if err != nil && c != nil {
						fail(errors.New("claims returned with an error"))
						return
					}
				}
			}
		}(g)
	}

	for i, k := range keys {
		require.NoError(t, ks.Rotate(k))
		tok, err := is.Issue(context.Background(), Claims{Subject: "rotated"})
		require.NoError(t, err)
		// The key that signs now verifies its token at once.
		_, err = v.Verify(context.Background(), tok.Raw)
		require.NoError(t, err)
		mu.Lock()
		current = append(current, tok.Raw)
		mu.Unlock()
		if i >= 2 {
			require.NoError(t, ks.Retire(keys[i-2].ID()))
		}
	}
	stop.Store(true)
	wg.Wait()
	require.Empty(t, failures)

	// After the storm: retired keys' tokens are refused, the last two keys'
	// tokens and the stable key's token verify.
	for i, tok := range current {
		c, err := v.Verify(context.Background(), tok)
		if i < rotations-2 {
			requireRefused(t, c, err, ErrUnknownKey)
		} else {
			require.NoError(t, err)
		}
	}
	_, err = v.Verify(context.Background(), stableTok.Raw)
	require.NoError(t, err)
	require.Len(t, ks.Keys(), 3)
}

func TestStaticKeys(t *testing.T) {
	a, b := vtKey(t, ES256, 0), vtKey(t, RS256, 0)
	src := StaticKeys(a, b)
	for _, k := range []*Key{a, b} {
		got, err := src.VerificationKey(context.Background(), k.ID())
		require.NoError(t, err)
		require.False(t, got.CanSign(), "private keys are reduced to public halves")
		// The same *Key every time: verifier caches rely on identity.
		again, err := src.VerificationKey(context.Background(), k.ID())
		require.NoError(t, err)
		require.Same(t, got, again)
	}
	_, err := src.VerificationKey(context.Background(), "")
	require.ErrorIs(t, err, ErrUnknownKey, "several keys: a kid is required")
	_, err = StaticKeys().VerificationKey(context.Background(), "")
	require.ErrorIs(t, err, ErrUnknownKey)
	_, err = StaticKeys(a, nil).VerificationKey(context.Background(), a.ID())
	require.ErrorIs(t, err, ErrKeySource)
	_, err = StaticKeys(a, a).VerificationKey(context.Background(), a.ID())
	require.ErrorIs(t, err, ErrKeySource)
}

func TestKeySetAddPublishesBeforeSigning(t *testing.T) {
	ctx := context.Background()
	cur, err := GenerateKey(ES256)
	require.NoError(t, err)
	next, err := GenerateKey(EdDSA)
	require.NoError(t, err)
	ks, err := NewKeySet(cur)
	require.NoError(t, err)

	require.NoError(t, ks.Add(next))
	require.Equal(t, cur, ks.SigningKey(), "Add does not change the signing key")
	got, err := ks.VerificationKey(ctx, next.ID())
	require.NoError(t, err)
	require.Nil(t, got.signer, "only the public half is kept for verification")
	require.Len(t, ks.Keys(), 2)

	require.ErrorIs(t, ks.Add(next), ErrInvalidKey, "a kid already in the set")
	require.ErrorIs(t, ks.Add(nil), ErrInvalidKey)

	// Rotating to the published key keeps its verification key identical,
	// so verifiers' caches keep answering for tokens it signed.
	before, _ := ks.VerificationKey(ctx, cur.ID())
	require.NoError(t, ks.Rotate(next))
	after, _ := ks.VerificationKey(ctx, cur.ID())
	require.Same(t, before, after, "an unchanged key stays the same *Key across rotations")
	require.Equal(t, next, ks.SigningKey())
}
