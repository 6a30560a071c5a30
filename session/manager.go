package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Manager creates, validates and ends sessions over a Store. It is safe for
// concurrent use, and several Managers (one per instance of a service) may
// share one Store: every state change is one atomic store operation, so a
// revocation made through one Manager is seen by all the others at once.
type Manager struct {
	store Store
	config
}

// NewManager returns a Manager over store. Options are applied in order; an
// invalid one makes NewManager fail with ErrInvalidOption.
func NewManager(store Store, opts ...Option) (*Manager, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidOption)
	}
	c := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &Manager{store: store, config: c}, nil
}

// clock returns now at the millisecond precision every store keeps.
func (m *Manager) clock() time.Time { return m.now().UTC().Truncate(time.Millisecond) }

// Create starts a session for userID and returns it with its token. The token
// is the only copy of the secret: hand it to the client and forget it. When
// the user is at the session limit, EvictOldest ends the oldest session(s)
// (event "evicted") and RejectNew fails with ErrLimitReached.
//
// Revoking the access tokens of evicted sessions is best effort here: a
// Revoker failure is logged at error level and does not undo the login.
func (m *Manager) Create(ctx context.Context, userID string, c ClientInfo) (*Session, string, error) {
	if err := checkUserID(userID); err != nil {
		return nil, "", err
	}
	c = c.normalized()
	country := ""
	if m.geo != nil && c.IP.IsValid() {
		var err error
		if country, err = m.geo.Country(ctx, c.IP); err != nil {
			return nil, "", fmt.Errorf("session: geo resolver: %w", err)
		}
	}
	id, err := NewID(userID)
	if err != nil {
		return nil, "", err
	}
	secret, hash, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	now := m.clock()
	abs := now.Add(m.absolute)
	rec := Record{
		ID: id, UserID: userID, SecretHash: hash,
		CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now,
		IdleExpiresAt: minTime(now.Add(m.idle), abs), ExpiresAt: abs,
		IP: c.IP, UserAgent: c.UserAgent, Country: country,
	}
	evicted, err := m.store.Create(ctx, now, rec, m.limit)
	if err != nil {
		return nil, "", err
	}
	for _, old := range evicted {
		m.emit(ctx, Event{Type: EventEvicted, Time: now, SessionID: old, UserID: userID, Reason: "limit"})
		if err := m.revokeTokens(ctx, old); err != nil {
			m.log.LogAttrs(ctx, slog.LevelError, "session: revoking tokens of an evicted session failed",
				slog.String("session_id", old), slog.Any("error", err))
		}
	}
	m.emit(ctx, Event{Type: EventCreated, Time: now, SessionID: id, UserID: userID})
	return sessionFromRecord(rec), id + "." + secret, nil
}

// lookup finds the live record a token names and checks its secret.
func (m *Manager) lookup(ctx context.Context, now time.Time, token string) (Record, [32]byte, error) {
	id, hash, err := parseToken(token)
	if err != nil {
		return Record{}, hash, err
	}
	rec, err := m.store.Get(ctx, now, id)
	expired := errors.Is(err, ErrExpired)
	if err != nil && !expired {
		return Record{}, hash, err
	}
	// The secret is checked before expiry is reported: without it, an
	// expired session must look like an unknown one.
	if subtle.ConstantTimeCompare(hash[:], rec.SecretHash[:]) != 1 {
		return Record{}, hash, ErrNotFound
	}
	if expired || !now.Before(rec.Expiry()) {
		return Record{}, hash, ErrExpired
	}
	return rec, hash, nil
}

// Validate returns the session a token belongs to, after the anomaly policy
// has compared c with the client last seen. It errs with ErrInvalidToken
// (malformed), ErrNotFound (unknown, revoked, or wrong secret), ErrExpired,
// ErrAnomaly (the policy just terminated the session) or a store error.
//
// On ErrStepUpRequired it returns the session too, so that the caller can
// drive the re-authentication; such a session must not be treated as
// authenticated for anything else.
//
// Within the touch interval Validate only reads the store; afterwards, or
// when the client changed, it also records the activity. Pass ClientInfo{}
// only where there is no client to compare (it skips the anomaly policy).
func (m *Manager) Validate(ctx context.Context, token string, c ClientInfo) (*Session, error) {
	now := m.clock()
	rec, _, err := m.lookup(ctx, now, token)
	if err != nil {
		return nil, err
	}
	var (
		found   []finding
		worst   = Allow
		country = rec.Country
	)
	if c != (ClientInfo{}) {
		c = c.normalized()
		if found, worst, country, err = m.assess(ctx, rec, c); err != nil {
			return nil, err
		}
	} else {
		c = ClientInfo{IP: rec.IP, UserAgent: rec.UserAgent}
	}
	for _, f := range found {
		if f.action >= Alert {
			m.emit(ctx, Event{Type: EventAnomaly, Time: now, SessionID: rec.ID, UserID: rec.UserID,
				Signal: f.signal, Action: f.action, From: f.from, To: f.to})
		}
	}
	if worst == Terminate {
		err := m.end(ctx, now, rec.ID, rec.UserID, "anomaly")
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, errors.Join(ErrAnomaly, err)
		}
		return nil, ErrAnomaly
	}
	if len(found) > 0 || now.Sub(rec.LastSeenAt) >= m.touch {
		if !c.IP.IsValid() {
			c.IP = rec.IP
		}
		t := Touch{
			LastSeenAt: now, IdleExpiresAt: minTime(now.Add(m.idle), rec.ExpiresAt),
			IP: c.IP, UserAgent: c.UserAgent, Country: country,
			SetStepUp: worst == RequireStepUp,
		}
		if err := m.store.Touch(ctx, now, rec.ID, t); err != nil {
			return nil, err
		}
		if !t.LastSeenAt.Before(rec.LastSeenAt) {
			rec.LastSeenAt, rec.IdleExpiresAt = t.LastSeenAt, t.IdleExpiresAt
			rec.IP, rec.UserAgent, rec.Country = t.IP, t.UserAgent, t.Country
		}
		if t.SetStepUp && !rec.StepUpRequired {
			rec.StepUpRequired = true
			m.emit(ctx, Event{Type: EventStepUp, Time: now, SessionID: rec.ID, UserID: rec.UserID,
				Action: RequireStepUp, Reason: "anomaly"})
		}
	}
	s := sessionFromRecord(rec)
	if s.StepUpRequired {
		return s, ErrStepUpRequired
	}
	return s, nil
}

// Renew gives the session of token a new secret and returns the new token;
// the old token stops working at once. Call it whenever privileges change
// (session fixation defence). Creation time and absolute expiry are kept:
// renewing never extends a session's life. Of two concurrent Renews of one
// token exactly one succeeds; the other gets ErrNotFound.
func (m *Manager) Renew(ctx context.Context, token string) (string, error) {
	return m.rekey(ctx, token, false)
}

// Reauthenticate records that the user of token just proved their identity
// again (password, second factor): AuthenticatedAt becomes now, a pending
// step-up is cleared, and the session gets a new secret, returned as the new
// token. Call it only after the re-authentication succeeded.
func (m *Manager) Reauthenticate(ctx context.Context, token string) (string, error) {
	return m.rekey(ctx, token, true)
}

func (m *Manager) rekey(ctx context.Context, token string, reauth bool) (string, error) {
	now := m.clock()
	rec, oldHash, err := m.lookup(ctx, now, token)
	if err != nil {
		return "", err
	}
	secret, newHash, err := newSecret()
	if err != nil {
		return "", err
	}
	k := Rekey{OldHash: oldHash, NewHash: newHash, LastSeenAt: now, IdleExpiresAt: minTime(now.Add(m.idle), rec.ExpiresAt)}
	ev := Event{Type: EventRenewed, Time: now, SessionID: rec.ID, UserID: rec.UserID}
	if reauth {
		k.AuthenticatedAt = now
		ev.Type, ev.Reason = EventStepUp, "reauthenticated"
	}
	if _, err := m.store.Rekey(ctx, now, rec.ID, k); err != nil {
		return "", err
	}
	m.emit(ctx, ev)
	return rec.ID + "." + secret, nil
}

// Revoke ends the session with this public ID, and through the Revoker (if
// any) its access tokens. It is idempotent: a session already gone is not an
// error, and the Revoker is still called, so retrying after an ErrRevoker
// failure finishes the job. The caller checks that whoever asks may revoke
// this session (List gives a user's own IDs).
func (m *Manager) Revoke(ctx context.Context, sessionID string) error {
	if !ValidID(sessionID) {
		return fmt.Errorf("%w: malformed session ID", ErrInvalidInput)
	}
	err := m.end(ctx, m.clock(), sessionID, "", "revoke")
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// end deletes one session, reports it and revokes its tokens. userID is
// only a fallback for the event when the store no longer knows the session.
func (m *Manager) end(ctx context.Context, now time.Time, id, userID, reason string) error {
	rec, err := m.store.Delete(ctx, now, id)
	switch {
	case err == nil:
		m.emit(ctx, Event{Type: EventRevoked, Time: now, SessionID: id, UserID: rec.UserID, Reason: reason})
	case !errors.Is(err, ErrNotFound):
		// The store failed: still try to kill the tokens, and report both.
		return errors.Join(err, m.revokeTokens(ctx, id))
	}
	if rerr := m.revokeTokens(ctx, id); rerr != nil {
		return rerr
	}
	return err
}

// RevokeAll ends every session of userID ("log out everywhere"), in one
// atomic store operation. With a Revoker that fails, the error wraps
// ErrRevoker and names each session concerned; retry those with Revoke (see
// WithRevoker).
func (m *Manager) RevokeAll(ctx context.Context, userID string) error {
	return m.revokeUser(ctx, userID, "", "revoke-all")
}

// RevokeOthers ends every session of userID except keepSessionID ("log out
// my other devices"). If keepSessionID is not one of the user's sessions, all
// of them end.
func (m *Manager) RevokeOthers(ctx context.Context, userID, keepSessionID string) error {
	if !ValidID(keepSessionID) {
		return fmt.Errorf("%w: malformed session ID to keep", ErrInvalidInput)
	}
	return m.revokeUser(ctx, userID, keepSessionID, "revoke-others")
}

func (m *Manager) revokeUser(ctx context.Context, userID, keep, reason string) error {
	if err := checkUserID(userID); err != nil {
		return err
	}
	now := m.clock()
	ids, err := m.store.DeleteUser(ctx, now, userID, keep)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		m.emit(ctx, Event{Type: EventRevoked, Time: now, SessionID: id, UserID: userID, Reason: reason})
		errs = append(errs, m.revokeTokens(ctx, id))
	}
	return errors.Join(errs...)
}

// List returns the live sessions of userID, oldest first, for a "your
// devices" page. The sessions hold no secrets.
func (m *Manager) List(ctx context.Context, userID string) ([]Session, error) {
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	recs, err := m.store.List(ctx, m.clock(), userID)
	if err != nil {
		return nil, err
	}
	out := make([]Session, len(recs))
	for i, r := range recs {
		out[i] = *sessionFromRecord(r)
	}
	return out, nil
}

func (m *Manager) revokeTokens(ctx context.Context, id string) error {
	if m.revoker == nil {
		return nil
	}
	if err := m.revoker.RevokeSession(ctx, id); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "session: revoker failed", slog.String("session_id", id), slog.Any("error", err))
		return fmt.Errorf("%w: session %s: %w", ErrRevoker, id, err)
	}
	return nil
}
