package blocklist_test

import (
	"context"
	"fmt"
	"time"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
)

func Example() {
	ctx := context.Background()
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	list, err := blocklist.New(blocklist.NewMemoryStore(), blocklist.WithClock(clock))
	if err != nil {
		panic(err)
	}
	defer list.Close()

	stolen := jwt.Claims{ID: "tok-1", Subject: "alice", SessionID: "s-1", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
	other := jwt.Claims{ID: "tok-2", Subject: "alice", SessionID: "s-2", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(9 * time.Minute)}

	_ = list.RevokeToken(ctx, stolen.ID, stolen.ExpiresAt)
	r1, _ := list.IsRevoked(ctx, &stolen)
	r2, _ := list.IsRevoked(ctx, &other)
	fmt.Println("stolen token revoked:", r1)
	fmt.Println("other token revoked:", r2)

	// Log alice out everywhere: every token of hers issued until now.
	_ = list.RevokeSubject(ctx, "alice")
	r2, _ = list.IsRevoked(ctx, &other)
	fmt.Println("after RevokeSubject, other token revoked:", r2)
	fresh := jwt.Claims{ID: "tok-3", Subject: "alice", IssuedAt: now.Add(time.Second)}
	r3, _ := list.IsRevoked(ctx, &fresh)
	fmt.Println("token issued the next second revoked:", r3)
	// Output:
	// stolen token revoked: true
	// other token revoked: false
	// after RevokeSubject, other token revoked: true
	// token issued the next second revoked: false
}

func ExampleList_RevokeSession() {
	ctx := context.Background()
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	list, err := blocklist.New(blocklist.NewMemoryStore(), blocklist.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	defer list.Close()

	// A refresh-token family was caught being reused: kill every access
	// token minted from it (they carry the family's id as sid).
	_ = list.RevokeSession(ctx, "family-42")
	for _, c := range []jwt.Claims{
		{ID: "a", SessionID: "family-42"},
		{ID: "b", SessionID: "family-42"},
		{ID: "c", SessionID: "family-43"},
	} {
		r, _ := list.IsRevoked(ctx, &c)
		fmt.Println(c.ID, r)
	}
	// Output:
	// a true
	// b true
	// c false
}

func ExampleWithEvents() {
	ctx := blocklist.ContextWithActor(context.Background(), "admin:carol")
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	list, err := blocklist.New(blocklist.NewMemoryStore(),
		blocklist.WithClock(func() time.Time { return now }),
		blocklist.WithEvents(func(_ context.Context, e blocklist.Event) {
			fmt.Println(e.Type, e.Entry.Kind, e.Entry.ID, "by", e.Actor, "until", e.Entry.ExpiresAt.Format(time.TimeOnly))
		}))
	if err != nil {
		panic(err)
	}
	defer list.Close()
	_ = list.RevokeSubject(ctx, "mallory")
	// Output:
	// revoked subject mallory by admin:carol until 12:16:00
}

func ExampleList_Close() {
	// A closed List fails closed: a verifier using it refuses every token.
	list, err := blocklist.New(blocklist.NewMemoryStore())
	if err != nil {
		panic(err)
	}
	_ = list.Close()
	_, err = list.IsRevoked(context.Background(), &jwt.Claims{ID: "x"})
	fmt.Println(err)
	// Output:
	// blocklist: list closed
}
