package jwt

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to Verify (go test -fuzz=FuzzVerify).
// Properties: no panic; a refused token returns nil claims and an error
// wrapping exactly one sentinel; an accepted token verifies again to equal
// claims, and a verifier with a cache gives the same verdict twice (the
// second time from the cache). Memory stays bounded because inputs over
// the size limit are refused before anything is decoded.
//
// The seed corpus (testdata/fuzz/FuzzVerify) holds valid tokens of the
// fixed keys below and attack tokens; more seeds are added here.

// Fixed test keys (never use them elsewhere): the fuzz corpus must keep
// verifying across runs.
const (
	fuzzES256PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBNkPw9RqqlY32urG
HGK2JOFMniVurtOKFOkP2sf4nkOhRANCAASDmxR6dyXxfG2bOX9yvR7NkwUiHgvB
lfIHPNT7AQQu7wsEXpkSACQ/YECzEYjOsTV0Uq7pBqotDLm2NeBcXzyI
-----END PRIVATE KEY-----`
	fuzzEd25519PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIA8clE7PS3gn5Ai95ra8tvQxvmX9g18xRGN4sjMVxA9u
-----END PRIVATE KEY-----`
	fuzzHMACSecret = "credence fuzz secret, 32 bytes!!"
)

// fuzzNow is the fuzz verifiers' clock; seed tokens are valid at it.
var fuzzNow = time.Unix(1_800_000_000, 0)

type fuzzFixture struct {
	es, ed, hs *Key
	plain      *Verifier
	cached     *Verifier
}

func newFuzzFixture(t testing.TB) *fuzzFixture {
	t.Helper()
	es, err := ParseKey([]byte(fuzzES256PEM))
	if err != nil {
		t.Fatal(err)
	}
	ed, err := ParseKey([]byte(fuzzEd25519PEM))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := NewHMACKey([]byte(fuzzHMACSecret), HS256)
	if err != nil {
		t.Fatal(err)
	}
	hs = hs.WithID("hs")
	src := StaticKeys(es, ed, hs)
	opts := []Option{
		WithIssuer(vtIss), WithAudience(vtAud), WithClock(func() time.Time { return fuzzNow }),
		WithAlgorithms(ES256, EdDSA, HS256),
	}
	plain, err := NewVerifier(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := NewVerifier(src, append(opts, WithCache(16))...)
	if err != nil {
		t.Fatal(err)
	}
	return &fuzzFixture{es: es, ed: ed, hs: hs, plain: plain, cached: cached}
}

// fuzzSeeds are tokens built at run time: valid ones for each key and a
// sample of the attack catalogue.
func (f *fuzzFixture) seeds(t testing.TB) []string {
	claims := vtClaims(fuzzNow, map[string]any{"roles": []string{"a"}, "x": map[string]any{"y": []any{1, "z"}}})
	var out []string
	for _, k := range []*Key{f.es, f.ed, f.hs} {
		out = append(out, vtSign(t, k, vtHeader(k), claims))
	}
	ed := f.ed
	out = append(out,
		vtSign(t, ed, vtHeader(ed), vtClaims(fuzzNow, map[string]any{"exp": fuzzNow.Unix() - 3600})),
		vtSign(t, ed, vtHeader(ed), `{"sub":"a","sub":"b"}`),
		vtSign(t, ed, vtHeader(ed), `{"s\u0075b":"a","sub":"b"}`),
		vtSign(t, ed, `{"alg":"EdDSA","kid":"`+ed.id+`","typ":"at+jwt","crit":["b64"],"b64":false}`, claims),
		vtSign(t, ed, `{"alg":"EdDSA","kid":"`+ed.id+`","typ":"at+jwt","jku":"http://127.0.0.1/"}`, claims),
		vtSign(t, ed, vtHeader(ed), `[`+claims+`]`),
		vtSign(t, ed, vtHeader(ed), vtClaims(fuzzNow, map[string]any{"exp": "1800000300"})),
		vtHMAC([]byte(fuzzHMACSecret), `{"alg":"HS256","kid":"`+ed.id+`","typ":"at+jwt"}`, claims),
		`eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.`,
		`{"payload":"e30","protected":"e30","signature":"AA"}`,
		"",
		"..",
		// Regression seed: a header longer than Verify's scratch buffer.
		vtSign(t, ed, `{"alg":"EdDSA","kid":"`+ed.id+`","typ":"at+jwt","x":"`+strings.Repeat("a", 1100)+`"}`, claims),
	)
	return out
}

func FuzzVerify(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range fx.seeds(f) {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		c1, err1 := fx.plain.Verify(ctx, raw)
		fuzzCheck(t, c1, err1)
		c2, err2 := fx.cached.Verify(ctx, raw) // may fill the cache
		fuzzCheck(t, c2, err2)
		c3, err3 := fx.cached.Verify(ctx, raw) // may hit it
		fuzzCheck(t, c3, err3)
		if (err1 == nil) != (err2 == nil) || (err2 == nil) != (err3 == nil) {
			t.Fatalf("verdicts differ: %v / %v / %v", err1, err2, err3)
		}
		if err1 != nil {
			if sentinelOf(err1) != sentinelOf(err2) || sentinelOf(err2) != sentinelOf(err3) {
				t.Fatalf("sentinels differ: %v / %v / %v", err1, err2, err3)
			}
			return
		}
		again, err := fx.plain.Verify(ctx, raw)
		if err != nil || !reflect.DeepEqual(c1, again) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(c1, c3) {
			t.Fatalf("accepted token does not re-verify identically: %v\n%#v\n%#v\n%#v\n%#v", err, c1, again, c2, c3)
		}
	})
}

func fuzzCheck(t *testing.T, c *Claims, err error) {
	t.Helper()
	if err == nil {
		if c == nil {
			t.Fatal("nil claims without an error")
		}
		return
	}
	if c != nil {
		t.Fatalf("claims returned with error %v", err)
	}
	n := 0
	for _, e := range vtSentinels {
		if errors.Is(err, e) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q wraps %d sentinels", err, n)
	}
}

// TestFuzzSeedsVerify pins the seed corpus: its valid tokens are accepted
// by the fuzz verifiers, so the fuzzer starts from the accepting paths.
func TestFuzzSeedsVerify(t *testing.T) {
	fx := newFuzzFixture(t)
	for i, s := range fx.seeds(t) {
		c, err := fx.plain.Verify(context.Background(), s)
		// Seeds 0-2, 7 (a jku header, ignored) and 15 (a long header) are
		// valid tokens.
		if i < 3 || i == 7 || i == 15 {
			if err != nil || c.Subject != "alice" {
				t.Fatalf("seed %d: %v", i, err)
			}
			continue
		}
		if err == nil || c != nil {
			t.Fatalf("attack seed %d accepted", i)
		}
	}
}
