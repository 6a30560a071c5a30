package jwt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credence-go/credence/jwt"
)

// Fixed keys and a fixed clock keep the examples' output stable. Never use
// these keys outside examples: a real key comes from jwt.GenerateKey or a
// KMS (jwt.NewKey accepts any crypto.Signer).
const (
	examplePEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBNkPw9RqqlY32urG
HGK2JOFMniVurtOKFOkP2sf4nkOhRANCAASDmxR6dyXxfG2bOX9yvR7NkwUiHgvB
lfIHPNT7AQQu7wsEXpkSACQ/YECzEYjOsTV0Uq7pBqotDLm2NeBcXzyI
-----END PRIVATE KEY-----`
	nextPEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIA8clE7PS3gn5Ai95ra8tvQxvmX9g18xRGN4sjMVxA9u
-----END PRIVATE KEY-----`
)

func exampleClock() time.Time { return time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC) }

func mustKey(pemText string) *jwt.Key {
	k, err := jwt.ParseKey([]byte(pemText))
	if err != nil {
		panic(err)
	}
	return k
}

func Example() {
	ctx := context.Background()
	keys, _ := jwt.NewKeySet(mustKey(examplePEM))

	issuer, _ := jwt.NewIssuer(keys,
		jwt.WithIssuer("https://auth.example.com"), jwt.WithAudience("orders-api"),
		jwt.WithClock(exampleClock))
	tok, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice", Scope: "orders:read"})

	verifier, _ := jwt.NewVerifier(keys,
		jwt.WithIssuer("https://auth.example.com"), jwt.WithAudience("orders-api"),
		jwt.WithClock(exampleClock))
	claims, err := verifier.Verify(ctx, tok.Raw)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println("subject:", claims.Subject)
	fmt.Println("audience:", claims.Audience)
	fmt.Println("expires:", claims.ExpiresAt.Format(time.RFC3339))
	fmt.Println("may read orders:", claims.HasScope("orders:read"))
	fmt.Println("may write orders:", claims.HasScope("orders:write"))
	// Output:
	// subject: alice
	// audience: [orders-api]
	// expires: 2026-01-15T08:10:00Z
	// may read orders: true
	// may write orders: false
}

func ExampleVerifier_Verify_refused() {
	ctx := context.Background()
	keys, _ := jwt.NewKeySet(mustKey(examplePEM))
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock))
	tok, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice"})
	verifier, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock))

	// A forged payload: the signature no longer matches.
	parts := strings.Split(tok.Raw, ".")
	forged := parts[0] + ".eyJzdWIiOiJhZG1pbiJ9." + parts[2]
	claims, err := verifier.Verify(ctx, forged)
	fmt.Println(claims == nil, errors.Is(err, jwt.ErrSignature))

	// alg "none" is never accepted.
	_, err = verifier.Verify(ctx, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.AA")
	fmt.Println(errors.Is(err, jwt.ErrAlgorithm))

	// A token for another service.
	other, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("billing-api"), jwt.WithClock(exampleClock))
	_, err = other.Verify(ctx, tok.Raw)
	fmt.Println(errors.Is(err, jwt.ErrAudience))

	// The same token an hour later.
	later, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"),
		jwt.WithClock(func() time.Time { return exampleClock().Add(time.Hour) }))
	_, err = later.Verify(ctx, tok.Raw)
	fmt.Println(errors.Is(err, jwt.ErrExpired))
	// Output:
	// true true
	// true
	// true
	// true
}

func ExampleKeySet_Rotate() {
	ctx := context.Background()
	first, next := mustKey(examplePEM), mustKey(nextPEM)
	keys, _ := jwt.NewKeySet(first)
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock))
	verifier, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock))

	old, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice"})
	_ = keys.Rotate(next) // next signs from now on; first still verifies
	fresh, _ := issuer.Issue(ctx, jwt.Claims{Subject: "alice"})
	fmt.Println("new tokens use", keys.SigningKey().Algorithm())
	_, err := verifier.Verify(ctx, old.Raw)
	fmt.Println("old token after rotation:", err)

	_ = keys.Retire(first.ID()) // once its tokens have expired
	_, err = verifier.Verify(ctx, old.Raw)
	fmt.Println("old token after retirement:", errors.Is(err, jwt.ErrUnknownKey))
	_, err = verifier.Verify(ctx, fresh.Raw)
	fmt.Println("new token:", err)
	// Output:
	// new tokens use EdDSA
	// old token after rotation: <nil>
	// old token after retirement: true
	// new token: <nil>
}

// denySubjects is a RevocationChecker; *blocklist.List is the real one.
type denySubjects map[string]bool

func (d denySubjects) IsRevoked(_ context.Context, c *jwt.Claims) (bool, error) {
	return d[c.Subject], nil
}

func ExampleWithRevocation() {
	ctx := context.Background()
	keys, _ := jwt.NewKeySet(mustKey(examplePEM))
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock))
	denied := denySubjects{}
	verifier, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.WithAudience("orders-api"), jwt.WithClock(exampleClock),
		jwt.WithRevocation(denied), jwt.WithCache(1024))

	tok, _ := issuer.Issue(ctx, jwt.Claims{Subject: "mallory"})
	_, err := verifier.Verify(ctx, tok.Raw)
	fmt.Println("before:", err)
	denied["mallory"] = true
	// Checked on every call, even when the token is in the cache.
	_, err = verifier.Verify(ctx, tok.Raw)
	fmt.Println("after:", err)
	// Output:
	// before: <nil>
	// after: jwt: token revoked
}

func ExampleParseKey() {
	k := mustKey(examplePEM)
	fmt.Println(k.Algorithm(), k.CanSign())
	fmt.Println("kid (RFC 7638 thumbprint):", k.ID())
	pub := k.Public()
	fmt.Println(pub.Algorithm(), pub.CanSign(), pub.ID() == k.ID())
	// Output:
	// ES256 true
	// kid (RFC 7638 thumbprint): ckOsha7r1Hbt3Gyt-o6WuqTu6ojsXYiZAy8nYuacCYw
	// ES256 false true
}

func ExampleNewHMACKey() {
	_, err := jwt.NewHMACKey([]byte("password"), jwt.HS256)
	fmt.Println(errors.Is(err, jwt.ErrInvalidKey))

	secret := []byte("0123456789abcdef0123456789abcdef") // use crypto/rand in real code
	k, err := jwt.NewHMACKey(secret, jwt.HS256)
	fmt.Println(k.Algorithm(), err, k.Public() == nil)
	// Output:
	// true
	// HS256 <nil> true
}

func ExampleNewVerifier_options() {
	keys, _ := jwt.NewKeySet(mustKey(examplePEM))
	// A verifier must say which issuer it trusts and which audience it is.
	_, err := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"))
	fmt.Println(errors.Is(err, jwt.ErrInvalidOption))
	// An issuer's option given to a verifier is an error, not ignored.
	_, err = jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example.com"),
		jwt.AnyAudience(), jwt.WithTTL(time.Hour))
	fmt.Println(errors.Is(err, jwt.ErrInvalidOption))
	// Output:
	// true
	// true
}
