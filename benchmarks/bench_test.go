package benchmarks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
)

// benchAlgs are the algorithms the performance targets name.
var benchAlgs = []jwt.Algorithm{jwt.ES256, jwt.EdDSA, jwt.RS256}

// rawVerify returns the bare primitive check of f.token's signature, as the
// jwt package's signature layer makes it (SHA-256 then ecdsa.VerifyASN1,
// ed25519.Verify, rsa.VerifyPKCS1v15), with the signature already decoded
// and, for ECDSA, already in ASN.1: only the hash and the check are timed.
func rawVerify(f *fixture) func() bool {
	msg := f.msg
	switch pub := f.pub.(type) {
	case *ecdsa.PublicKey:
		der := f.der
		return func() bool {
			h := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(pub, h[:], der)
		}
	case ed25519.PublicKey:
		sig := f.sig
		return func() bool { return ed25519.Verify(pub, msg, sig) }
	case *rsa.PublicKey:
		sig := f.sig
		return func() bool {
			h := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
		}
	}
	panic("unsupported key")
}

// rawSign returns the bare primitive signature of f.token's signing input.
func rawSign(f *fixture) func() error {
	msg := f.msg
	switch priv := f.priv.(type) {
	case *ecdsa.PrivateKey:
		return func() error {
			h := sha256.Sum256(msg)
			_, err := ecdsa.SignASN1(rand.Reader, priv, h[:])
			return err
		}
	case ed25519.PrivateKey:
		return func() error { _ = ed25519.Sign(priv, msg); return nil }
	case *rsa.PrivateKey:
		return func() error {
			h := sha256.Sum256(msg)
			_, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, h[:])
			return err
		}
	}
	panic("unsupported key")
}

// BenchmarkVerify verifies the same token, issued by Credence, with the raw
// primitive, Credence (full validation, no cache; and a cache hit), golang-jwt
// v5 and go-jose v4, each with full validation: alg allow-list, typ, kid
// lookup, signature, exp/nbf/iat with 30 s leeway, iss, aud, and sub, iat
// and jti required.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range benchAlgs {
		f := getFixture(b, alg)
		raw := f.token.Raw
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			check := rawVerify(f)
			b.ReportAllocs()
			for b.Loop() {
				if !check() {
					b.Fatal("raw verify failed")
				}
			}
		})
		b.Run(string(alg)+"/credence", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.verifier.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		if alg == jwt.ES256 {
			b.Run(string(alg)+"/credence-cached", func(b *testing.B) {
				if _, err := f.cached.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := f.cached.Verify(ctx, raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(string(alg)+"/golang-jwt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.gVerify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/go-jose", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.joseVerify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIssue compares Credence's Issue (claims, random jti, header,
// encoding, signature) with the raw signature of a signing input of the
// same size, and with golang-jwt and go-jose minting a similar token.
func BenchmarkIssue(b *testing.B) {
	for _, alg := range benchAlgs {
		f := getFixture(b, alg)
		claims := jwt.Claims{Subject: "user-1234", Scope: "read write"}
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			sign := rawSign(f)
			b.ReportAllocs()
			for b.Loop() {
				if err := sign(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/credence", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.issuer.Issue(ctx, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/golang-jwt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.signGolangJWT(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/go-jose", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.signGoJose(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInterleaved times each contender and the raw primitive
// alternately inside one loop, so that both see the same load on a shared
// machine. It reports medians over the iterations, which a preempted
// iteration does not move: the contender's ns/op, the raw primitive's
// raw-ns/op, and x-raw, the median of the per-iteration ratios.
// Allocations are in BenchmarkVerify and BenchmarkIssue (here they would
// mix both).
func BenchmarkInterleaved(b *testing.B) {
	for _, alg := range benchAlgs {
		f := getFixture(b, alg)
		raw := f.token.Raw
		verify, sign := rawVerify(f), rawSign(f)
		contenders := []struct {
			name     string
			baseline func() error
			run      func() error
		}{
			{"verify/credence", okErr(verify), func() error { _, err := f.verifier.Verify(ctx, raw); return err }},
			{"verify/golang-jwt", okErr(verify), func() error { _, err := f.gVerify(raw); return err }},
			{"verify/go-jose", okErr(verify), func() error { _, err := f.joseVerify(raw); return err }},
			{"issue/credence", sign, func() error {
				_, err := f.issuer.Issue(ctx, jwt.Claims{Subject: "user-1234", Scope: "read write"})
				return err
			}},
		}
		for _, c := range contenders {
			b.Run(string(alg)+"/"+c.name, func(b *testing.B) {
				var base, cont []float64
				i := 0
				for b.Loop() {
					// Alternate the order so that neither always runs
					// with the other's warm caches.
					first, second := c.baseline, c.run
					if i%2 == 1 {
						first, second = c.run, c.baseline
					}
					t0 := time.Now()
					err1 := first()
					t1 := time.Now()
					err2 := second()
					t2 := time.Now()
					if err1 != nil || err2 != nil {
						b.Fatal(err1, err2)
					}
					d1, d2 := float64(t1.Sub(t0)), float64(t2.Sub(t1))
					if i%2 == 1 {
						d1, d2 = d2, d1
					}
					base, cont = append(base, d1), append(cont, d2)
					i++
				}
				ratios := make([]float64, len(base))
				for j := range base {
					ratios[j] = cont[j] / base[j]
				}
				b.ReportMetric(medianOf(cont), "ns/op")
				b.ReportMetric(medianOf(base), "raw-ns/op")
				b.ReportMetric(medianOf(ratios), "x-raw")
			})
		}
	}
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func okErr(check func() bool) func() error {
	return func() error {
		if !check() {
			return errors.New("raw verify failed")
		}
		return nil
	}
}

// TestBenchmarkInputs keeps the benchmarks honest when they run as tests:
// every contender accepts the shared token, and the raw checks agree.
func TestBenchmarkInputs(t *testing.T) {
	for _, alg := range benchAlgs {
		f := getFixture(t, alg)
		if !rawVerify(f)() {
			t.Fatalf("%s: raw verify refuses the token", alg)
		}
		if err := rawSign(f)(); err != nil {
			t.Fatalf("%s: raw sign: %v", alg, err)
		}
		if _, err := f.verifier.Verify(ctx, f.token.Raw); err != nil {
			t.Fatalf("%s: credence: %v", alg, err)
		}
		if _, err := f.cached.Verify(ctx, f.token.Raw); err != nil {
			t.Fatalf("%s: credence cached: %v", alg, err)
		}
		if _, err := f.gVerify(f.token.Raw); err != nil {
			t.Fatalf("%s: golang-jwt: %v", alg, err)
		}
		if _, err := f.joseVerify(f.token.Raw); err != nil {
			t.Fatalf("%s: go-jose: %v", alg, err)
		}
	}
}
