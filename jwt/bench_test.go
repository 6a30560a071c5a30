package jwt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
)

// The benchmarks here measure Verify and Issue against the bare signature
// primitive on the same signing input, in the same run, so that the ratio
// is what the package adds. The benchmarks module compares with golang-jwt
// and go-jose.

var benchNow = time.Unix(1_800_000_000, 0).UTC()

func benchClock() time.Time { return benchNow }

type benchFixture struct {
	priv     crypto.Signer
	issuer   *jwt.Issuer
	verifier *jwt.Verifier
	cached   *jwt.Verifier
	raw      string // a token issued at benchNow
	msg      []byte // its signing input
	sig      []byte // its decoded signature (ASN.1 for ECDSA)
}

var (
	benchMu       sync.Mutex
	benchFixtures = map[jwt.Algorithm]*benchFixture{}
)

func benchSetup(tb testing.TB, alg jwt.Algorithm) *benchFixture {
	tb.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if f := benchFixtures[alg]; f != nil {
		return f
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case jwt.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwt.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jwt.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		tb.Fatalf("no benchmark fixture for %s", alg)
	}
	must(tb, err)
	key, err := jwt.NewKey(priv, alg)
	must(tb, err)
	ks, err := jwt.NewKeySet(key)
	must(tb, err)
	f := &benchFixture{priv: priv}
	f.issuer, err = jwt.NewIssuer(ks, jwt.WithIssuer("https://issuer.example"), jwt.WithAudience("https://api.example"), jwt.WithClock(benchClock))
	must(tb, err)
	vopts := []jwt.Option{jwt.WithIssuer("https://issuer.example"), jwt.WithAudience("https://api.example"), jwt.WithClock(benchClock)}
	f.verifier, err = jwt.NewVerifier(ks, vopts...)
	must(tb, err)
	f.cached, err = jwt.NewVerifier(ks, append(vopts, jwt.WithCache(1024))...)
	must(tb, err)
	tok, err := f.issuer.Issue(context.Background(), jwt.Claims{Subject: "user-1234", Scope: "read write"})
	must(tb, err)
	f.raw = tok.Raw
	dot := strings.LastIndexByte(f.raw, '.')
	f.msg = []byte(f.raw[:dot])
	f.sig, err = base64.RawURLEncoding.Strict().DecodeString(f.raw[dot+1:])
	must(tb, err)
	if alg == jwt.ES256 {
		f.sig = benchASN1(f.sig)
	}
	benchFixtures[alg] = f
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// benchASN1 turns r‖s into the DER signature crypto/ecdsa verifies.
func benchASN1(sig []byte) []byte {
	enc := func(b []byte) []byte {
		b = new(big.Int).SetBytes(b).Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(enc(sig[:len(sig)/2]), enc(sig[len(sig)/2:])...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// rawVerify is the primitive alone: hash and check, nothing decoded.
func (f *benchFixture) rawVerify() bool {
	switch k := f.priv.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(f.msg)
		return ecdsa.VerifyASN1(&k.PublicKey, h[:], f.sig)
	case ed25519.PrivateKey:
		return ed25519.Verify(k.Public().(ed25519.PublicKey), f.msg, f.sig)
	case *rsa.PrivateKey:
		h := sha256.Sum256(f.msg)
		return rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, h[:], f.sig) == nil
	}
	return false
}

// rawSign is the primitive alone on a signing input of the token's size.
func (f *benchFixture) rawSign() error {
	var err error
	switch k := f.priv.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(f.msg)
		_, err = ecdsa.SignASN1(rand.Reader, k, h[:])
	case ed25519.PrivateKey:
		_ = ed25519.Sign(k, f.msg)
	case *rsa.PrivateKey:
		h := sha256.Sum256(f.msg)
		_, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	}
	return err
}

var benchAlgs = []jwt.Algorithm{jwt.ES256, jwt.EdDSA, jwt.RS256}

// BenchmarkVerify: full validation (no cache) against the raw check of the
// same token's signature. Targets: ≤ 1.10× raw for ES256 and EdDSA, ≤ 1.15×
// for RS256.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	for _, alg := range benchAlgs {
		f := benchSetup(b, alg)
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !f.rawVerify() {
					b.Fatal("raw verify failed")
				}
			}
		})
		b.Run(string(alg)+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.verifier.Verify(ctx, f.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCached: a cache hit against the raw ES256 check. Target:
// ≤ 5 % of raw.
func BenchmarkVerifyCached(b *testing.B) {
	ctx := context.Background()
	f := benchSetup(b, jwt.ES256)
	b.Run("ES256/raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !f.rawVerify() {
				b.Fatal("raw verify failed")
			}
		}
	})
	b.Run("ES256/cached", func(b *testing.B) {
		if _, err := f.cached.Verify(ctx, f.raw); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.cached.Verify(ctx, f.raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssue: Issue against the raw signature of a signing input of
// the same size. Target: ≤ 1.15× raw.
func BenchmarkIssue(b *testing.B) {
	ctx := context.Background()
	claims := jwt.Claims{Subject: "user-1234", Scope: "read write"}
	for _, alg := range benchAlgs {
		f := benchSetup(b, alg)
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f.rawSign(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/issue", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.issuer.Issue(ctx, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInterleaved runs Verify (or Issue) and the raw primitive
// alternately in one loop and reports medians over the iterations: ns/op
// of the package, raw-ns/op of the primitive and x-raw, the median of the
// per-iteration ratios. Unlike two separate benchmarks, both halves see
// the same load, so the ratio holds on a busy machine.
func BenchmarkInterleaved(b *testing.B) {
	ctx := context.Background()
	claims := jwt.Claims{Subject: "user-1234", Scope: "read write"}
	for _, alg := range benchAlgs {
		f := benchSetup(b, alg)
		verify := func() error { _, err := f.verifier.Verify(ctx, f.raw); return err }
		rawVerify := func() error {
			if !f.rawVerify() {
				return errors.New("raw verify failed")
			}
			return nil
		}
		issue := func() error { _, err := f.issuer.Issue(ctx, claims); return err }
		b.Run(string(alg)+"/verify", func(b *testing.B) { interleave(b, rawVerify, verify) })
		b.Run(string(alg)+"/issue", func(b *testing.B) { interleave(b, f.rawSign, issue) })
	}
}

func interleave(b *testing.B, raw, run func() error) {
	var base, cont, ratio []float64
	i := 0
	for b.Loop() {
		first, second := raw, run
		if i%2 == 1 {
			first, second = run, raw
		}
		t0 := time.Now()
		err1 := first()
		t1 := time.Now()
		err2 := second()
		t2 := time.Now()
		if err1 != nil || err2 != nil {
			b.Fatal(err1, err2)
		}
		dr, dc := float64(t1.Sub(t0)), float64(t2.Sub(t1))
		if i%2 == 1 {
			dr, dc = dc, dr
		}
		base, cont, ratio = append(base, dr), append(cont, dc), append(ratio, dc/dr)
		i++
	}
	b.ReportMetric(benchMedian(cont), "ns/op")
	b.ReportMetric(benchMedian(base), "raw-ns/op")
	b.ReportMetric(benchMedian(ratio), "x-raw")
}

func benchMedian(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// hostileInputs are tokens an attacker can send for free. Each must be
// refused with its sentinel before any costly work: the size limit first,
// then the header's own limits.
func hostileInputs() []struct {
	name  string
	raw   string
	limit int // WithMaxTokenSize; 0 for the default
	want  error
} {
	const mib = 1 << 20
	garbage := make([]byte, 4*mib)
	for i := range garbage {
		garbage[i] = byte(i*7919) | 0x80
	}
	bigHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","x":"` + strings.Repeat("a", 3*mib) + `"}`))
	nested := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","x":` + strings.Repeat("[", 800*1024) + `}`))
	members := make([]string, 0, 120000)
	for i := range 120000 {
		members = append(members, `"m`+strconv.Itoa(i)+`":0`)
	}
	// Whole numbers of base64 quanta, so that the JSON reader runs.
	const cut, small = (mib - 16) / 4 * 4, (jwt.DefaultMaxTokenSize - 16) / 4 * 4
	many := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256",` + strings.Join(members, ",") + `}`))
	return []struct {
		name  string
		raw   string
		limit int
		want  error
	}{
		{"4MiB-garbage", string(garbage), 0, jwt.ErrTooLarge},
		{"4MiB-dots", strings.Repeat(".", 4*mib), 0, jwt.ErrTooLarge},
		{"4MiB-header", bigHeader + ".e30.c2ln", 0, jwt.ErrTooLarge},
		// At the default 8 KiB limit: the most header work a token may ask for.
		{"8KiB-nested-header", nested[:small] + ".e30.c2ln", 0, jwt.ErrMalformed},
		{"8KiB-many-members", many[:small] + ".e30.c2ln", 0, jwt.ErrMalformed},
		// Under a raised 1 MiB limit, the header reader's own bounds hold.
		{"1MiB-garbage-at-limit", string(garbage[:mib]), mib, jwt.ErrMalformed},
		{"1MiB-nested-header", nested[:cut] + ".e30.c2ln", mib, jwt.ErrMalformed},
		{"1MiB-many-members", many[:cut] + ".e30.c2ln", mib, jwt.ErrMalformed},
	}
}

// BenchmarkVerifyHostile reports the time and allocations spent refusing
// hostile input.
func BenchmarkVerifyHostile(b *testing.B) {
	ctx := context.Background()
	for _, h := range hostileInputs() {
		v := hostileVerifier(b, h.limit)
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(h.raw)))
			for b.Loop() {
				if _, err := v.Verify(ctx, h.raw); !errors.Is(err, h.want) {
					b.Fatalf("got %v, want %v", err, h.want)
				}
			}
		})
	}
}

func hostileVerifier(tb testing.TB, limit int) *jwt.Verifier {
	key, err := jwt.GenerateKey(jwt.ES256)
	must(tb, err)
	opts := []jwt.Option{jwt.WithIssuer("https://issuer.example"), jwt.WithAudience("https://api.example"), jwt.WithClock(benchClock)}
	if limit > 0 {
		opts = append(opts, jwt.WithMaxTokenSize(limit))
	}
	v, err := jwt.NewVerifier(jwt.StaticKeys(key), opts...)
	must(tb, err)
	return v
}

// TestBenchmarkFixtures keeps the benchmarks' inputs valid when they run
// as tests: the raw checks accept, Verify accepts, hostile input is
// refused with its sentinel.
func TestBenchmarkFixtures(t *testing.T) {
	ctx := context.Background()
	for _, alg := range benchAlgs {
		f := benchSetup(t, alg)
		if !f.rawVerify() {
			t.Fatalf("%s: raw verify refuses the token", alg)
		}
		must(t, f.rawSign())
		_, err := f.verifier.Verify(ctx, f.raw)
		must(t, err)
		_, err = f.cached.Verify(ctx, f.raw)
		must(t, err)
	}
	for _, h := range hostileInputs() {
		c, err := hostileVerifier(t, h.limit).Verify(ctx, h.raw)
		if !errors.Is(err, h.want) || c != nil {
			t.Errorf("%s: got %v, want %v", h.name, err, h.want)
		}
	}
}
