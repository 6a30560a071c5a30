package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/session"
)

func tourSession(ctx context.Context, t *tour) error {
	// The blocklist kills the JWTs of a session that ends (by their sid).
	// It keeps the real clock: its replica judges its freshness by it.
	bl, err := blocklist.New(blocklist.NewMemoryStore())
	if err != nil {
		return err
	}
	defer bl.Close()

	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC) // a fake clock the tour moves
	geo := session.NewStaticGeoResolver(map[netip.Prefix]string{
		netip.MustParsePrefix("192.0.2.0/24"):    "FR",
		netip.MustParsePrefix("198.51.100.0/24"): "DE",
	})
	sessions, err := session.NewManager(session.NewMemoryStore(),
		session.WithClock(func() time.Time { return now }),
		session.WithMaxSessions(2, session.EvictOldest),
		session.WithGeoResolver(geo), // default policy: a change of country terminates
		session.WithRevoker(bl))
	if err != nil {
		return err
	}
	paris := session.ClientInfo{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Firefox/140"}
	berlin := session.ClientInfo{IP: netip.MustParseAddr("198.51.100.20"), UserAgent: "Firefox/140"}

	phone, phoneToken, err := sessions.Create(ctx, "alice", paris)
	if err != nil {
		return err
	}
	s, err := sessions.Validate(ctx, phoneToken, paris)
	if err != nil {
		return err
	}
	t.step("alice logs in from Paris: session %s…, country %s, absolute expiry in %v", s.ID[:10], s.Country, s.ExpiresAt.Sub(now))

	now = now.Add(time.Minute)
	_, laptopToken, err := sessions.Create(ctx, "alice", paris)
	if err != nil {
		return err
	}
	now = now.Add(time.Minute)
	if _, _, err := sessions.Create(ctx, "alice", paris); err != nil {
		return err
	}
	_, evictedErr := sessions.Validate(ctx, phoneToken, paris)
	if !errors.Is(evictedErr, session.ErrNotFound) {
		return fmt.Errorf("evicted session still valid: %v", evictedErr)
	}
	list, err := sessions.List(ctx, "alice")
	if err != nil {
		return err
	}
	t.step("two more logins against a limit of 2: the oldest is evicted (%v); alice has %d sessions", evictedErr, len(list))
	revoked, err := bl.IsRevoked(ctx, &jwt.Claims{Subject: "alice", SessionID: phone.ID, IssuedAt: time.Now()})
	if err != nil || !revoked {
		return fmt.Errorf("evicted session's JWTs not revoked: %v %v", revoked, err)
	}
	t.step("a JWT carrying the evicted session's sid is revoked too")

	_, err = sessions.Validate(ctx, laptopToken, berlin)
	if !errors.Is(err, session.ErrAnomaly) {
		return fmt.Errorf("country jump not refused: %v", err)
	}
	t.step("the laptop's cookie shows up in Berlin: %v", err)

	_, token, err := sessions.Create(ctx, "alice", paris)
	if err != nil {
		return err
	}
	now = now.Add(10 * time.Minute)
	if s, err = sessions.Validate(ctx, token, paris); err != nil {
		return err
	}
	t.step("a payment wants an authentication under 5 minutes old; alice's is %v old: step-up", now.Sub(s.AuthenticatedAt))
	if token, err = sessions.Reauthenticate(ctx, token); err != nil { // after checking the password again
		return err
	}
	if s, err = sessions.Validate(ctx, token, paris); err != nil {
		return err
	}
	t.step("after Reauthenticate (new secret, same session): authenticated %v ago", now.Sub(s.AuthenticatedAt))

	if err := sessions.RevokeAll(ctx, "alice"); err != nil {
		return err
	}
	if list, err = sessions.List(ctx, "alice"); err != nil {
		return err
	}
	t.step("log out everywhere: alice has %d sessions", len(list))
	return nil
}
