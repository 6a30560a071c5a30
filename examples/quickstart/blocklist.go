package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
)

// tourBlocklist revokes access tokens before they expire: by jti, by
// session and by subject. The List answers from a local replica.
func tourBlocklist(ctx context.Context, t *tour) error {
	// One clock for everyone, moved by hand. (The List fails closed when it
	// has not heard from its store for 5 s by this clock, so the tour moves
	// it by small steps.)
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	key, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		return err
	}
	keys, err := jwt.NewKeySet(key)
	if err != nil {
		return err
	}
	issuer, err := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"), jwt.WithClock(clock))
	if err != nil {
		return err
	}
	// In production the store is blocklist/redisstore on Redis.
	list, err := blocklist.New(blocklist.NewMemoryStore(), blocklist.WithClock(clock))
	if err != nil {
		return err
	}
	defer list.Close()
	verifier, err := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"),
		jwt.WithClock(clock), jwt.WithRevocation(list))
	if err != nil {
		return err
	}
	verify := func(what string, tok *jwt.Token, wantRevoked bool) error {
		_, err := verifier.Verify(ctx, tok.Raw)
		switch {
		case err == nil && !wantRevoked:
			t.step("%s: accepted", what)
		case errors.Is(err, jwt.ErrRevoked) && wantRevoked:
			t.step("%s: refused (%v)", what, err)
		default:
			return fmt.Errorf("%s: unexpected result %v", what, err)
		}
		return nil
	}
	issue := func(sid string) (*jwt.Token, error) {
		return issuer.Issue(ctx, jwt.Claims{Subject: "alice", SessionID: sid})
	}

	laptop, err := issue("laptop")
	if err != nil {
		return err
	}
	phone, err := issue("phone")
	if err != nil {
		return err
	}
	if err := verify("alice's laptop token", laptop, false); err != nil {
		return err
	}
	if err := list.RevokeToken(ctx, laptop.Claims.ID, laptop.Claims.ExpiresAt); err != nil {
		return err
	}
	if err := verify("the laptop token after RevokeToken (by jti)", laptop, true); err != nil {
		return err
	}
	if err := verify("the phone token, untouched", phone, false); err != nil {
		return err
	}
	if err := list.RevokeSession(ctx, "phone"); err != nil {
		return err
	}
	if err := verify("the phone token after RevokeSession (every token with sid=phone)", phone, true); err != nil {
		return err
	}
	tablet, err := issue("tablet")
	if err != nil {
		return err
	}
	if err := list.RevokeSubject(ctx, "alice"); err != nil {
		return err
	}
	if err := verify("the tablet token after RevokeSubject (log out everywhere)", tablet, true); err != nil {
		return err
	}
	advance(time.Second) // iat has whole seconds: tokens from the next second on are fresh
	fresh, err := issue("tablet-2")
	if err != nil {
		return err
	}
	return verify("a token from a new login after that", fresh, false)
}
