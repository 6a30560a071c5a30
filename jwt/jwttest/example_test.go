package jwttest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/jwt/jwttest"
)

// A pair mints tokens its verifier accepts; its clock moves time forward
// without sleeping. In a test, jwttest.New(t) and p.Token(t, claims) fail
// the test on error instead of returning it.
func Example() {
	p, err := jwttest.NewPair()
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := p.Issuer.Issue(ctx, jwt.Claims{Subject: "alice", Scope: "orders:read"})
	if err != nil {
		panic(err)
	}

	c, err := p.Verifier.Verify(ctx, tok.Raw)
	fmt.Println(c.Subject, c.Scope, c.ExpiresAt.Format(time.RFC3339), err)

	p.Clock.Advance(11 * time.Minute)
	_, err = p.Verifier.Verify(ctx, tok.Raw)
	fmt.Println(errors.Is(err, jwt.ErrExpired))
	// Output:
	// alice orders:read 2026-01-01T00:10:00Z <nil>
	// true
}

func ExampleClock() {
	clock := jwttest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.Advance(90 * time.Second)
	fmt.Println(clock.Now().Format(time.TimeOnly))
	clock.Set(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	fmt.Println(clock.Now().Format(time.DateTime))
	// Output:
	// 00:01:30
	// 2026-06-01 12:00:00
}
