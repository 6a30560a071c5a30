package blocklist

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryStoreFeedStaysBounded: one long-lived entry at the front of the
// feed must not pin every later change in memory. The feed keeps about
// the last feedRetention of changes, whatever their entries' expiry; a
// follower further behind gets ErrGap and takes a snapshot.
func TestMemoryStoreFeedStaysBounded(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	start, err := m.Snapshot(ctx, now)
	require.NoError(t, err)
	require.NoError(t, m.Revoke(ctx, now, Entry{Kind: KindToken, ID: "long", ExpiresAt: now.Add(24 * time.Hour)}))
	const writes, every = 2000, 2 * time.Second // 4000s of revocations, each live a minute
	for i := range writes {
		now = now.Add(every)
		require.NoError(t, m.Revoke(ctx, now, Entry{Kind: KindToken, ID: fmt.Sprint("j", i), ExpiresAt: now.Add(time.Minute)}))
	}
	m.mu.Lock()
	logLen, entries := len(m.log), len(m.entries)
	m.mu.Unlock()
	assert.LessOrEqual(t, logLen, int((feedRetention+2*time.Minute)/every), "feed length")
	assert.LessOrEqual(t, entries, int(2*time.Minute/every)+2, "live entries")

	_, _, err = m.Changes(ctx, start.Cursor, time.Millisecond)
	require.ErrorIs(t, err, ErrGap, "a follower behind the retained feed resynchronises")
	snap, err := m.Snapshot(ctx, now)
	require.NoError(t, err)
	assert.Contains(t, snap.Entries, Entry{Kind: KindToken, ID: "long", ExpiresAt: time.Date(2031, 3, 5, 5, 6, 7, 0, time.UTC)},
		"and finds the long-lived entry in the snapshot")
}
