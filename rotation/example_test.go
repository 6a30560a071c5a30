package rotation_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/rotationtest"
)

// serverKey stands for a secret of 32 bytes or more, loaded from a secret
// manager: the same on every instance.
var serverKey = []byte("example only: load a 32+ byte secret from your secret manager")

func Example() {
	ctx := context.Background()
	clock := rotationtest.NewClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))

	signing, _ := jwt.GenerateKey(jwt.ES256)
	keys, _ := jwt.NewKeySet(signing)
	issuer, _ := jwt.NewIssuer(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"), jwt.WithClock(clock.Now))
	verifier, _ := jwt.NewVerifier(keys, jwt.WithIssuer("https://auth.example"), jwt.WithAudience("api"), jwt.WithClock(clock.Now))

	rot, err := rotation.New(rotation.NewMemoryStore(), issuer,
		rotation.WithMACKey(serverKey),
		rotation.WithClock(clock.Now))
	if err != nil {
		fmt.Println(err)
		return
	}

	login, _ := rot.Issue(ctx, jwt.Claims{Subject: "alice", Roles: []string{"admin"}})
	claims, _ := verifier.Verify(ctx, login.AccessToken)
	fmt.Println("access token for", claims.Subject, claims.Roles, "- sid is the family id:", claims.SessionID == login.FamilyID)
	fmt.Println("refresh token idle expiry:", login.RefreshExpiresAt.Format(time.DateTime))

	clock.Advance(5 * time.Minute)
	next, _ := rot.Refresh(ctx, login.RefreshToken)
	fmt.Println("rotated:", next.RefreshToken != login.RefreshToken, "- same family:", next.FamilyID == login.FamilyID)
	fmt.Println("refresh token idle expiry:", next.RefreshExpiresAt.Format(time.DateTime))

	_, err = rot.Refresh(ctx, login.RefreshToken)
	fmt.Println("replay of the consumed token:", errors.Is(err, rotation.ErrReused))
	_, err = rot.Refresh(ctx, next.RefreshToken)
	fmt.Println("the newest token afterwards:", errors.Is(err, rotation.ErrRevoked))
	// Output:
	// access token for alice [admin] - sid is the family id: true
	// refresh token idle expiry: 2030-01-15 09:00:00
	// rotated: true - same family: true
	// refresh token idle expiry: 2030-01-15 09:05:00
	// replay of the consumed token: true
	// the newest token afterwards: true
}

// Two browser tabs refresh with the same token at once: within the grace
// period both get the same successor, so neither logs the user out.
func ExampleWithGracePeriod() {
	ctx := context.Background()
	clock := rotationtest.NewClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))
	rot, _ := rotation.New(rotation.NewMemoryStore(), &rotationtest.Issuer{Now: clock.Now},
		rotation.WithMACKey(serverKey), rotation.WithClock(clock.Now),
		rotation.WithGracePeriod(10*time.Second))

	login, _ := rot.Issue(ctx, jwt.Claims{Subject: "bob"})
	tab1, _ := rot.Refresh(ctx, login.RefreshToken)
	clock.Advance(2 * time.Second)
	tab2, err := rot.Refresh(ctx, login.RefreshToken)
	fmt.Println("second tab:", err, "- same refresh token:", tab1.RefreshToken == tab2.RefreshToken)

	clock.Advance(time.Second)
	next, _ := rot.Refresh(ctx, tab2.RefreshToken)
	_, err = rot.Refresh(ctx, login.RefreshToken)
	fmt.Println("two generations back:", errors.Is(err, rotation.ErrReused))
	_, err = rot.Refresh(ctx, next.RefreshToken)
	fmt.Println("family revoked:", errors.Is(err, rotation.ErrRevoked))
	// Output:
	// second tab: <nil> - same refresh token: true
	// two generations back: true
	// family revoked: true
}

// Log out everywhere, with the events a security log would record.
func ExampleRotator_RevokeSubject() {
	ctx := context.Background()
	clock := rotationtest.NewClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))
	rot, _ := rotation.New(rotation.NewMemoryStore(), &rotationtest.Issuer{Now: clock.Now},
		rotation.WithMACKey(serverKey), rotation.WithClock(clock.Now),
		rotation.WithEvents(func(_ context.Context, e rotation.Event) {
			fmt.Printf("event: %s sub=%s reason=%q\n", e.Type, e.Subject, e.Reason)
		}))

	laptop, _ := rot.Issue(ctx, jwt.Claims{Subject: "carol", SessionID: "laptop"})
	phone, _ := rot.Issue(ctx, jwt.Claims{Subject: "carol", SessionID: "phone"})
	if err := rot.RevokeSubject(ctx, "carol"); err != nil {
		fmt.Println(err)
	}
	_, err1 := rot.Refresh(ctx, laptop.RefreshToken)
	_, err2 := rot.Refresh(ctx, phone.RefreshToken)
	fmt.Println(errors.Is(err1, rotation.ErrRevoked), errors.Is(err2, rotation.ErrRevoked))
	// Output:
	// event: issued sub=carol reason=""
	// event: issued sub=carol reason=""
	// event: revoked sub=carol reason="subject"
	// event: revoked sub=carol reason="subject"
	// true true
}

// Anything the server did not mint is refused before the store is asked.
func ExampleRotator_Refresh_forged() {
	ctx := context.Background()
	store := rotationtest.NewCountingStore(rotation.NewMemoryStore())
	rot, _ := rotation.New(store, &rotationtest.Issuer{}, rotation.WithMACKey(serverKey))

	for _, tok := range []string{"", "garbage", "crt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		_, err := rot.Refresh(ctx, tok)
		fmt.Println(errors.Is(err, rotation.ErrInvalidToken))
	}
	fmt.Println("store calls:", store.Calls())
	// Output:
	// true
	// true
	// true
	// store calls: 0
}
