package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/credence-go/credence/jwt"
)

// tourRemote: an auth service publishes its JWK Set; an API verifies with
// the keys it fetches, behind the Bearer middleware.
func tourRemote(ctx context.Context, t *tour) error {
	signing, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		return err
	}
	keys, err := jwt.NewKeySet(signing)
	if err != nil {
		return err
	}
	issuer, err := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("orders-api"))
	if err != nil {
		return err
	}
	auth := httptest.NewServer(jwt.JWKSHandler(keys)) // loopback: plain http allowed; anything else must be https
	defer auth.Close()

	remote, err := jwt.NewRemoteKeys(ctx, auth.URL)
	if err != nil {
		return err
	}
	defer remote.Close()
	verifier, err := jwt.NewVerifier(remote, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("orders-api"))
	if err != nil {
		return err
	}
	t.step("the auth service publishes its JWK Set; the orders API fetches it")

	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwt.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})
	api := verifier.Middleware(jwt.RequireScope("orders:read")(orders))
	call := func(what, token string) {
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			t.step("%s: %d %s", what, rec.Code, rec.Body)
		} else {
			t.step("%s: %d %s", what, rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
	reader, err := issuer.Issue(ctx, jwt.Claims{Subject: "alice", Scope: "orders:read"})
	if err != nil {
		return err
	}
	other, err := issuer.Issue(ctx, jwt.Claims{Subject: "bob", Scope: "profile"})
	if err != nil {
		return err
	}
	call("alice, scope orders:read", reader.Raw)
	call("bob, scope profile", other.Raw)
	call("no token", "")

	// Key rotation without a refused token: publish the next key first,
	// let verifiers refresh, then sign with it.
	next, err := jwt.GenerateKey(jwt.EdDSA)
	if err != nil {
		return err
	}
	if err := keys.Add(next); err != nil {
		return err
	}
	if err := remote.Refresh(ctx); err != nil { // or wait for the scheduled refresh (5 min)
		return err
	}
	if err := keys.Rotate(next); err != nil {
		return err
	}
	rotated, err := issuer.Issue(ctx, jwt.Claims{Subject: "carol", Scope: "orders:read"})
	if err != nil {
		return err
	}
	call("after publish, refresh, rotate: a token from the new key", rotated.Raw)
	call("a token from the old key, until it is retired", reader.Raw)
	return nil
}
