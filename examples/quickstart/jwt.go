package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/credence-go/credence/jwt"
)

func tourJWT(ctx context.Context, t *tour) error {
	key, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		return err
	}
	keys, err := jwt.NewKeySet(key)
	if err != nil {
		return err
	}
	t.step("generated an ES256 signing key, kid %s…", key.ID()[:12])

	issuer, err := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"))
	if err != nil {
		return err
	}
	verifier, err := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"))
	if err != nil {
		return err
	}
	tok, err := issuer.Issue(ctx, jwt.Claims{Subject: "alice", Scope: "orders:read"})
	if err != nil {
		return err
	}
	t.step("issued an access token for alice (%d bytes, expires in %v)",
		len(tok.Raw), tok.Claims.ExpiresAt.Sub(tok.Claims.IssuedAt))

	claims, err := verifier.Verify(ctx, tok.Raw)
	if err != nil {
		return err
	}
	t.step("verified it: sub=%s scope=%q jti=%s…", claims.Subject, claims.Scope, claims.ID[:8])

	next, err := jwt.GenerateKey(jwt.EdDSA)
	if err != nil {
		return err
	}
	if err := keys.Rotate(next); err != nil {
		return err
	}
	tok2, err := issuer.Issue(ctx, jwt.Claims{Subject: "alice"})
	if err != nil {
		return err
	}
	if _, err := verifier.Verify(ctx, tok2.Raw); err != nil {
		return err
	}
	if _, err := verifier.Verify(ctx, tok.Raw); err != nil {
		return err
	}
	t.step("rotated to an EdDSA key: new tokens and the old key's tokens both verify")

	if err := keys.Retire(key.ID()); err != nil {
		return err
	}
	_, err = verifier.Verify(ctx, tok.Raw)
	if !errors.Is(err, jwt.ErrUnknownKey) {
		return fmt.Errorf("retired key still verifies: %v", err)
	}
	t.step("retired the old key: its token is refused (%v)", err)

	// A forged token: the payload swapped for one that claims to be an
	// admin, the signature kept.
	parts := strings.Split(tok2.Raw, ".")
	forgedPayload := base64.RawURLEncoding.EncodeToString(
		[]byte(`{"iss":"https://auth.example","aud":"api","sub":"admin","exp":4102444800,"iat":1,"jti":"x"}`))
	_, err = verifier.Verify(ctx, parts[0]+"."+forgedPayload+"."+parts[2])
	if !errors.Is(err, jwt.ErrSignature) {
		return fmt.Errorf("forged token not refused as expected: %v", err)
	}
	t.step("a forged token (payload swapped, signature kept) is refused: %v", err)

	_, err = verifier.Verify(ctx, `{"payload":"`+parts[1]+`","signatures":[]}`)
	t.step("a JWS JSON envelope is refused before any parsing: %v", err)
	return nil
}
