package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
)

// tourRotation: single-use refresh tokens, and what happens when a stolen
// one is replayed.
func tourRotation(ctx context.Context, t *tour) error {
	key, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		return err
	}
	keys, err := jwt.NewKeySet(key)
	if err != nil {
		return err
	}
	issuer, err := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"))
	if err != nil {
		return err
	}
	list, err := blocklist.New(blocklist.NewMemoryStore())
	if err != nil {
		return err
	}
	defer list.Close()
	verifier, err := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"),
		jwt.WithRevocation(list))
	if err != nil {
		return err
	}

	// The server key authenticates refresh tokens. Every instance must share
	// it: load it from a secret manager.
	serverKey := make([]byte, 32)
	if _, err := rand.Read(serverKey); err != nil {
		return err
	}
	var reuse []rotation.Event
	rot, err := rotation.New(rotation.NewMemoryStore(), issuer,
		rotation.WithMACKey(serverKey),
		rotation.WithRevoker(list), // a revoked family also kills its access tokens
		rotation.WithEvents(func(_ context.Context, e rotation.Event) {
			if e.Type == rotation.EventReuseDetected {
				reuse = append(reuse, e)
			}
		}))
	if err != nil {
		return err
	}

	login, err := rot.Issue(ctx, jwt.Claims{Subject: "alice", Roles: []string{"admin"}})
	if err != nil {
		return err
	}
	claims, err := verifier.Verify(ctx, login.AccessToken)
	if err != nil {
		return err
	}
	t.step("alice logs in: a new family %s…; the access token's sid is the family id: %v",
		login.FamilyID[:8], claims.SessionID == login.FamilyID)

	next, err := rot.Refresh(ctx, login.RefreshToken)
	if err != nil {
		return err
	}
	if _, err := verifier.Verify(ctx, next.AccessToken); err != nil {
		return err
	}
	t.step("refresh: a new access token and a new refresh token; the old one is consumed")

	_, err = rot.Refresh(ctx, login.RefreshToken)
	if !errors.Is(err, rotation.ErrReused) || len(reuse) != 1 {
		return fmt.Errorf("replay not detected: %v", err)
	}
	t.step("a thief replays the first refresh token: %v (security event for %s)", err, reuse[0].Subject)

	_, err = rot.Refresh(ctx, next.RefreshToken)
	if !errors.Is(err, rotation.ErrRevoked) {
		return fmt.Errorf("newest token of a revoked family accepted: %v", err)
	}
	t.step("the newest refresh token is refused too: %v", err)
	_, err = verifier.Verify(ctx, next.AccessToken)
	if !errors.Is(err, jwt.ErrRevoked) {
		return fmt.Errorf("revoked family's access token accepted: %v", err)
	}
	t.step("and so is the access token it minted: %v", err)

	_, err = rot.Refresh(ctx, "crt_garbage")
	t.step("a forged refresh token never reaches the store: %v", err)
	return nil
}
