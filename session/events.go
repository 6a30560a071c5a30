package session

import (
	"context"
	"log/slog"
	"time"
)

// EventType names a session life-cycle event.
type EventType string

const (
	EventCreated EventType = "created" // Create or Login
	EventRenewed EventType = "renewed" // Renew: new secret, same session
	EventStepUp  EventType = "step_up" // Reauthenticate passed, or the anomaly policy asked for step-up (Action = RequireStepUp)
	EventRevoked EventType = "revoked" // Revoke, RevokeAll, RevokeOthers, Logout, or termination by the anomaly policy
	EventEvicted EventType = "evicted" // removed by the session limit to make room for a new one
	EventAnomaly EventType = "anomaly" // a signal fired with Alert, RequireStepUp or Terminate
)

// Event is delivered to the WithEvents callback and logged. It never holds a
// token or secret.
type Event struct {
	Type      EventType
	Time      time.Time
	SessionID string
	UserID    string

	// Anomaly details (EventAnomaly, and EventRevoked/EventStepUp caused by one).
	Signal   Signal
	Action   Action
	From, To string // old and new value of the signal (country, IP or User-Agent)

	// Reason says why, e.g. "revoke", "revoke-all", "logout", "login", "anomaly".
	Reason string
}

func (m *Manager) emit(ctx context.Context, e Event) {
	level := slog.LevelInfo
	if e.Type == EventAnomaly {
		level = slog.LevelWarn
	}
	if m.log.Enabled(ctx, level) {
		attrs := []slog.Attr{
			slog.String("event", string(e.Type)),
			slog.String("session_id", e.SessionID),
			slog.String("user_id", e.UserID),
		}
		if e.Reason != "" {
			attrs = append(attrs, slog.String("reason", e.Reason))
		}
		if e.Signal != "" {
			attrs = append(attrs, slog.String("signal", string(e.Signal)), slog.String("action", e.Action.String()),
				slog.String("from", e.From), slog.String("to", e.To))
		}
		m.log.LogAttrs(ctx, level, "session event", attrs...)
	}
	if m.events != nil {
		m.events(ctx, e)
	}
}
