package rotation

import "time"

// EventType says what happened to a refresh-token family.
type EventType int

const (
	// EventIssued: a new family was created by Issue (a login).
	EventIssued EventType = iota + 1
	// EventRotated: a refresh token was exchanged for its successor.
	EventRotated
	// EventGraceReplay: the token just rotated away was presented again
	// within the grace period and got the same successor back.
	EventGraceReplay
	// EventReuseDetected: a consumed token was presented again; the family
	// has been revoked. This is a security event: one of the two parties
	// holding the token is not the legitimate client.
	EventReuseDetected
	// EventRevoked: the family was revoked by Revoke, RevokeFamily or
	// RevokeSubject (see Event.Reason).
	EventRevoked
)

func (t EventType) String() string {
	switch t {
	case EventIssued:
		return "issued"
	case EventRotated:
		return "rotated"
	case EventGraceReplay:
		return "grace_replay"
	case EventReuseDetected:
		return "reuse_detected"
	case EventRevoked:
		return "revoked"
	default:
		return "unknown"
	}
}

// Reasons recorded with a revocation (Family.RevokeReason, Event.Reason).
const (
	ReasonReuse   = "reuse"   // a consumed token was presented again
	ReasonLogout  = "logout"  // Revoke(refreshToken)
	ReasonFamily  = "family"  // RevokeFamily(familyID)
	ReasonSubject = "subject" // RevokeSubject(sub)
)

// Event is delivered to the WithEvents callback. It never carries a token.
type Event struct {
	Type      EventType
	FamilyID  string
	SessionID string // the sid of the family's access tokens
	Subject   string
	// Generation is the generation of the presented token for
	// EventRotated, EventGraceReplay and EventReuseDetected, and of the
	// family's first token for EventIssued.
	Generation uint64
	Reason     string // for EventRevoked and EventReuseDetected
	Time       time.Time
}
