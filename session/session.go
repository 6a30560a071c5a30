package session

import (
	"net/netip"
	"time"
)

// Session is the public view of a server-side session. It holds nothing that
// lets anyone use the session: the secret exists only in the token handed to
// the client, and the store keeps only its SHA-256 hash.
type Session struct {
	// ID is a public handle, safe to list, show and log; never the secret.
	// A JWT minted for this session carries it as its sid claim.
	ID     string
	UserID string

	CreatedAt       time.Time
	LastSeenAt      time.Time // updated at most once per touch interval
	AuthenticatedAt time.Time // login or the last Reauthenticate
	IdleExpiresAt   time.Time // slides with use, never past ExpiresAt
	ExpiresAt       time.Time // absolute expiry: fixed at creation

	IP        netip.Addr
	UserAgent string
	Country   string // from the GeoResolver; "" when unknown

	// StepUpRequired is set when the anomaly policy asked for step-up; until
	// Reauthenticate clears it, Validate returns ErrStepUpRequired.
	StepUpRequired bool
}

// ClientInfo describes the client presenting a session token; see
// ClientInfoFromRequest.
type ClientInfo struct {
	IP        netip.Addr
	UserAgent string
}

// maxUserAgent bounds what a client can make us store.
const maxUserAgent = 512

func (c ClientInfo) normalized() ClientInfo {
	c.IP = c.IP.Unmap()
	if len(c.UserAgent) > maxUserAgent {
		c.UserAgent = c.UserAgent[:maxUserAgent]
	}
	return c
}

func sessionFromRecord(r Record) *Session {
	return &Session{
		ID: r.ID, UserID: r.UserID,
		CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, AuthenticatedAt: r.AuthenticatedAt,
		IdleExpiresAt: r.IdleExpiresAt, ExpiresAt: r.ExpiresAt,
		IP: r.IP, UserAgent: r.UserAgent, Country: r.Country,
		StepUpRequired: r.StepUpRequired,
	}
}
