package session_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/sessiontest"
)

func TestMemoryStoreConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store { return session.NewMemoryStore() })
}

// Sessions of users who never come back are collected by later Creates.
func TestMemoryStoreCollectsAbandonedSessions(t *testing.T) {
	clock := sessiontest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	st := session.NewMemoryStore()
	m, err := session.NewManager(st, session.WithClock(clock.Now))
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 200 {
		_, _, err := m.Create(ctx, fmt.Sprint("gone-", i), session.ClientInfo{})
		require.NoError(t, err)
	}
	clock.Advance(time.Hour)
	for range 200 {
		_, _, err := m.Create(ctx, "active", session.ClientInfo{})
		require.NoError(t, err)
	}
	t.Logf("left: %d of 400", st.Len())
	require.Less(t, st.Len(), 300, "most abandoned sessions were collected")
}
