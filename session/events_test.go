package session_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/logbuf"
	"github.com/credence-go/credence/session"
)

// syncBuffer is a buffer a logger and a test can share.
type syncBuffer = logbuf.Buffer

// The life cycle is logged through the injected logger, and no log line
// carries a token or secret.
func TestEventsAreLoggedWithoutSecrets(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, session.WithLogger(log), session.WithMaxSessions(1, session.EvictOldest))

	_, t1, err := f.m.Create(f.ctx, "alice", alice)
	require.NoError(t, err)
	s2, t2, err := f.m.Create(f.ctx, "alice", alice) // evicts the first
	require.NoError(t, err)
	t3, err := f.m.Renew(f.ctx, t2)
	require.NoError(t, err)
	t4, err := f.m.Reauthenticate(f.ctx, t3)
	require.NoError(t, err)
	_, err = f.m.Validate(f.ctx, t4, session.ClientInfo{IP: lyon, UserAgent: alice.UserAgent})
	require.NoError(t, err)
	_, err = f.m.Validate(f.ctx, t4, session.ClientInfo{IP: berlin, UserAgent: alice.UserAgent})
	require.ErrorIs(t, err, session.ErrAnomaly)

	out := buf.String()
	for _, ev := range []string{"event=created", "event=evicted", "event=renewed", "event=step_up", "event=anomaly", "event=revoked"} {
		require.Contains(t, out, ev)
	}
	require.Contains(t, out, "session_id="+s2.ID)
	require.Contains(t, out, "level=WARN", "anomalies are warnings")
	for _, tok := range []string{t1, t2, t3, t4} {
		secret := tok[strings.IndexByte(tok, '.')+1:]
		require.NotContains(t, out, secret)
	}
	require.Equal(t, []session.EventType{
		session.EventCreated, session.EventEvicted, session.EventCreated, session.EventRenewed,
		session.EventStepUp, session.EventAnomaly, session.EventAnomaly, session.EventRevoked,
	}, f.rec.types())
}
