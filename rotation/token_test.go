package rotation

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testKey = []byte("token_test: a 32+ byte key for unit tests only")

func TestTokenRoundTrip(t *testing.T) {
	k := newKeyring(testKey, nil)
	tok, err := newFamilyToken()
	require.NoError(t, err)
	tok.generation = 7
	s := k.encode(tok)
	assert.Len(t, s, tokenLen)
	got, err := k.parse(s)
	require.NoError(t, err)
	assert.Equal(t, tok, got)
}

// Successors are a function of the key and the parent token only: every
// instance derives the same one; a different parent or key gives another.
func TestSuccessorDeterministic(t *testing.T) {
	k := newKeyring(testKey, nil)
	tok, err := newFamilyToken()
	require.NoError(t, err)
	a, b := k.successor(tok), newKeyring(testKey, nil).successor(tok)
	assert.Equal(t, a, b)
	assert.Equal(t, tok.generation+1, a.generation)
	assert.Equal(t, tok.family, a.family)
	assert.NotEqual(t, tok.secret, a.secret)
	assert.NotEqual(t, a.secret, k.successor(a).secret)
	other := newKeyring([]byte("another key, also at least 32 bytes"), nil)
	assert.NotEqual(t, a.secret, other.successor(tok).secret)
	sib := *tok
	sib.secret[0] ^= 1
	assert.NotEqual(t, a.secret, k.successor(&sib).secret)
}

// Fields are checked after the MAC, so even a validly MACed token with a
// bad version or an absurd generation is refused (such a token can only
// come from a leaked key or a future format).
func TestParseRefusesBadFieldsUnderValidMAC(t *testing.T) {
	k := newKeyring(testKey, nil)
	tok, err := newFamilyToken()
	require.NoError(t, err)
	mint := func(p []byte) string {
		raw := append(p, macSum(k.macKeys[0], p)...)
		return tokenPrefix + b64.EncodeToString(raw)
	}
	p := tok.payload()
	p[0] = 2
	_, err = k.parse(mint(p))
	assert.ErrorIs(t, err, ErrInvalidToken)
	p = tok.payload()
	binary.BigEndian.PutUint64(p[1+familyIDSize:], maxGeneration)
	_, err = k.parse(mint(p))
	assert.ErrorIs(t, err, ErrInvalidToken)
	binary.BigEndian.PutUint64(p[1+familyIDSize:], maxGeneration-1)
	_, err = k.parse(mint(p))
	assert.NoError(t, err)
}

func TestValidFamilyID(t *testing.T) {
	tok, err := newFamilyToken()
	require.NoError(t, err)
	assert.True(t, validFamilyID(tok.familyID()))
	for _, bad := range []string{"", "short", tok.familyID() + "A", "!!!!!!!!!!!!!!!!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAB"} {
		assert.False(t, validFamilyID(bad), bad)
	}
}

func FuzzParse(f *testing.F) {
	k := newKeyring(testKey, nil)
	tok, err := newFamilyToken()
	require.NoError(f, err)
	f.Add(k.encode(tok))
	f.Add("crt_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := k.parse(s)
		if err == nil {
			assert.Equal(t, s, k.encode(got), "only canonical encodings parse")
		} else {
			assert.ErrorIs(t, err, ErrInvalidToken)
		}
	})
}
