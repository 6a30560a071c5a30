package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/credence-go/credence/jwt"
)

// AccessIssuer mints the access tokens of a family. *jwt.Issuer satisfies
// it. Issue must fill the times and jti itself and keep the given sid; it is
// called once per Issue and once per successful Refresh, after the store
// has decided.
type AccessIssuer interface {
	Issue(ctx context.Context, c jwt.Claims) (*jwt.Token, error)
}

// Revoker kills the outstanding access tokens of a revoked family by their
// sid. *blocklist.List satisfies it. RevokeSession must be idempotent: it
// may be called again for a sid already revoked (a retried revocation).
type Revoker interface {
	RevokeSession(ctx context.Context, sid string) error
}

// Rotator issues refresh-token families and exchanges their single-use
// refresh tokens. It holds no per-family state, so any number of Rotators
// (one per instance) can share a Store, given the same MAC key. Safe for
// concurrent use.
type Rotator struct {
	store  Store
	issuer AccessIssuer
	cfg    config
	keys   *keyring
}

// New returns a Rotator over store, minting access tokens with issuer.
// WithMACKey is required.
func New(store Store, issuer AccessIssuer, opts ...Option) (*Rotator, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil Store", ErrInvalidOption)
	}
	if issuer == nil {
		return nil, fmt.Errorf("%w: nil AccessIssuer", ErrInvalidOption)
	}
	cfg := config{
		refreshTTL:     DefaultRefreshTTL,
		familyLifetime: DefaultFamilyLifetime,
		now:            time.Now,
		logger:         slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.key == nil {
		return nil, fmt.Errorf("%w: WithMACKey is required (the same key on every instance)", ErrInvalidOption)
	}
	if cfg.refreshTTL > cfg.familyLifetime {
		return nil, fmt.Errorf("%w: refresh TTL %v exceeds family lifetime %v", ErrInvalidOption, cfg.refreshTTL, cfg.familyLifetime)
	}
	if cfg.grace >= cfg.refreshTTL {
		return nil, fmt.Errorf("%w: grace period %v must be shorter than the refresh TTL %v", ErrInvalidOption, cfg.grace, cfg.refreshTTL)
	}
	return &Rotator{store: store, issuer: issuer, cfg: cfg, keys: newKeyring(cfg.key, cfg.previousKeys)}, nil
}

// now is the injected clock at the stores' millisecond precision.
func (r *Rotator) now() time.Time { return r.cfg.now().Truncate(time.Millisecond) }

func (r *Rotator) emit(ctx context.Context, e Event) {
	if r.cfg.events != nil {
		r.cfg.events(ctx, e)
	}
}

func storeErr(err error) error {
	if errors.Is(err, ErrStore) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStore, err)
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Issue starts a new family (a login) for c.Subject, which is required, and
// returns its first pair. The access token gets c, with sid = c.SessionID
// or, if empty, the new family id; c's times and jti are ignored (the
// issuer sets them). c is kept with the family: every refreshed access
// token carries the same claims (see WithClaimsRefresh).
func (r *Rotator) Issue(ctx context.Context, c jwt.Claims) (*Pair, error) {
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: subject required", ErrInvalidClaims)
	}
	t, err := newFamilyToken()
	if err != nil {
		return nil, err
	}
	id := t.familyID()
	if c.SessionID == "" {
		c.SessionID = id
	}
	c.ID, c.ExpiresAt, c.NotBefore, c.IssuedAt = "", time.Time{}, time.Time{}, time.Time{}
	enc, err := encodeClaims(c)
	if err != nil {
		return nil, err
	}
	now := r.now()
	abs := now.Add(r.cfg.familyLifetime)
	f := Family{
		ID: id, Subject: c.Subject, SessionID: c.SessionID, Claims: enc,
		Current: t.hash(), CreatedAt: now, RotatedAt: now,
		IdleExpiresAt: earliest(now.Add(r.cfg.refreshTTL), abs), ExpiresAt: abs,
	}
	// The subject index is written before the family exists, so that a
	// RevokeSubject either misses this family entirely (and is ordered
	// before this login) or finds it and leaves a tombstone that makes
	// Create fail. No family can slip past a RevokeSubject that started
	// after it was indexed.
	if err := r.store.AddToSubject(ctx, c.Subject, id, abs, now); err != nil {
		return nil, storeErr(err)
	}
	if err := r.store.Create(ctx, f, now); err != nil {
		if errors.Is(err, ErrRevoked) {
			return nil, err
		}
		return nil, storeErr(err)
	}
	at, err := r.issuer.Issue(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("rotation: issue access token: %w", err)
	}
	r.emit(ctx, Event{Type: EventIssued, FamilyID: id, SessionID: c.SessionID, Subject: c.Subject, Time: now})
	return &Pair{
		AccessToken: at.Raw, AccessExpiresAt: at.Claims.ExpiresAt,
		RefreshToken: r.keys.encode(t), RefreshExpiresAt: f.IdleExpiresAt,
		FamilyID: id,
	}, nil
}

// Refresh exchanges a refresh token for a new pair, in one atomic store
// step. The errors, each checked with errors.Is:
//
//   - ErrInvalidToken: not a token this server minted (no store access);
//   - ErrExpired: the idle or absolute lifetime has passed;
//   - ErrReused: the token was already exchanged (and the grace period, if
//     any, is over, or it is older than the previous token): the family is
//     revoked, its sid sent to the Revoker and EventReuseDetected emitted
//     before Refresh returns;
//   - ErrRevoked: the family was revoked before (if for reuse, its sid is
//     sent to the Revoker again, in case the reply of the exchange that
//     detected the reuse was lost);
//   - ErrStore: the store failed (the token may or may not be consumed).
//
// Within the grace period, the token just rotated away gets the same
// successor refresh token as the first exchange (and a new access token).
func (r *Rotator) Refresh(ctx context.Context, refreshToken string) (*Pair, error) {
	t, err := r.keys.parse(refreshToken)
	if err != nil {
		return nil, err
	}
	next := r.keys.successor(t)
	now := r.now()
	req := ExchangeRequest{
		FamilyID: t.familyID(), Generation: t.generation,
		Presented: t.hash(), Next: next.hash(),
		Now: now, IdleTTL: r.cfg.refreshTTL, Grace: r.cfg.grace,
	}
	res, err := r.store.Exchange(ctx, req)
	if err != nil {
		return nil, storeErr(err)
	}
	// A grace replay whose head was derived by an instance with another
	// current key (a rolling key change): try the successor under each of
	// our previous keys, so that the roll logs no one out. Only this rare
	// case costs more than one store step, and the store still decides.
	for i := 1; res.Outcome == OutcomeMismatch && res.Family.Generation == t.generation+1 && i < len(r.keys.successorKeys); i++ {
		alt := r.keys.successorUnder(t, i)
		req.Next = alt.hash()
		if res, err = r.store.Exchange(ctx, req); err != nil {
			return nil, storeErr(err)
		}
		next = alt
	}
	f := res.Family
	switch res.Outcome {
	case OutcomeRotated, OutcomeGrace:
		if f.Generation != next.generation {
			return nil, fmt.Errorf("%w: store answered %v at generation %d for generation %d", ErrStore, res.Outcome, f.Generation, t.generation)
		}
		return r.mint(ctx, &f, t, next, res.Outcome, now)
	case OutcomeReused:
		return nil, r.reused(ctx, &f, t)
	case OutcomeRevoked:
		err := fmt.Errorf("%w: family %s (%s)", ErrRevoked, t.familyID(), f.RevokeReason)
		if f.RevokeReason == ReasonReuse {
			// The exchange that detected the reuse may have lost its reply
			// (a timeout, a dropped connection) after the store revoked
			// the family: then nobody told the Revoker. Each later
			// presentation sends the sid again (RevokeSession is
			// idempotent), so the access tokens cannot outlive a theft.
			if rerr := r.revokeSession(ctx, &f); rerr != nil {
				return nil, errors.Join(err, rerr)
			}
		}
		return nil, err
	case OutcomeExpired, OutcomeNotFound:
		return nil, fmt.Errorf("%w: family %s", ErrExpired, t.familyID())
	case OutcomeMismatch:
		return nil, fmt.Errorf("%w: not a token of family %s", ErrInvalidToken, t.familyID())
	default:
		return nil, fmt.Errorf("%w: unknown outcome %d", ErrStore, res.Outcome)
	}
}

func (r *Rotator) mint(ctx context.Context, f *Family, presented, next *refreshToken, o Outcome, now time.Time) (*Pair, error) {
	c, err := decodeClaims(f.Claims)
	if err != nil {
		return nil, err
	}
	if r.cfg.refreshClaims != nil {
		nc, err := r.cfg.refreshClaims(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("rotation: refresh claims: %w", err)
		}
		if nc.Subject != c.Subject {
			return nil, fmt.Errorf("%w: claims refresh changed the subject", ErrInvalidClaims)
		}
		c = nc
		c.ID, c.ExpiresAt, c.NotBefore, c.IssuedAt = "", time.Time{}, time.Time{}, time.Time{}
	}
	c.SessionID = f.SessionID
	at, err := r.issuer.Issue(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("rotation: issue access token: %w", err)
	}
	typ := EventRotated
	if o == OutcomeGrace {
		typ = EventGraceReplay
	}
	r.emit(ctx, Event{Type: typ, FamilyID: f.ID, SessionID: f.SessionID, Subject: f.Subject, Generation: presented.generation, Time: now})
	return &Pair{
		AccessToken: at.Raw, AccessExpiresAt: at.Claims.ExpiresAt,
		RefreshToken: r.keys.encode(next), RefreshExpiresAt: earliest(f.IdleExpiresAt, f.ExpiresAt),
		FamilyID: f.ID,
	}, nil
}

// reused runs after the store has already revoked the family: the
// revocation is durable whatever happens here.
func (r *Rotator) reused(ctx context.Context, f *Family, t *refreshToken) error {
	err := fmt.Errorf("%w: family %s, generation %d presented, head %d", ErrReused, f.ID, t.generation, f.Generation)
	r.cfg.logger.WarnContext(ctx, "rotation: refresh token reuse detected; family revoked",
		"family", f.ID, "sid", f.SessionID, "sub", f.Subject, "generation", t.generation, "head", f.Generation)
	r.emit(ctx, Event{Type: EventReuseDetected, FamilyID: f.ID, SessionID: f.SessionID, Subject: f.Subject,
		Generation: t.generation, Reason: ReasonReuse, Time: f.RevokedAt})
	if rerr := r.revokeSession(ctx, f); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

func (r *Rotator) revokeSession(ctx context.Context, f *Family) error {
	if r.cfg.revoker == nil || f.SessionID == "" {
		return nil
	}
	// A security decision already taken must not be undone by the client
	// hanging up.
	if err := r.cfg.revoker.RevokeSession(context.WithoutCancel(ctx), f.SessionID); err != nil {
		r.cfg.logger.ErrorContext(ctx, "rotation: revoking the sid of a revoked family failed; its access tokens live until they expire",
			"family", f.ID, "sid", f.SessionID, "err", err)
		return fmt.Errorf("rotation: revoke sid %q: %w", f.SessionID, err)
	}
	return nil
}

// Revoke revokes the whole family of refreshToken (a logout): every token
// of it, the newest too, is refused from now on, and its sid is sent to the
// Revoker. Any token the server minted for the family will do, consumed or
// not. Revoking twice is not an error.
func (r *Rotator) Revoke(ctx context.Context, refreshToken string) error {
	t, err := r.keys.parse(refreshToken)
	if err != nil {
		return err
	}
	return r.revokeFamily(ctx, t.familyID(), ReasonLogout)
}

// RevokeFamily revokes a family by its id (Pair.FamilyID), like Revoke. An
// id that names no family is not an error: the id is blocked anyway, so a
// family being created under it at this moment cannot start. An id this
// package cannot have made is ErrInvalidToken.
func (r *Rotator) RevokeFamily(ctx context.Context, familyID string) error {
	if !validFamilyID(familyID) {
		return fmt.Errorf("%w: malformed family id", ErrInvalidToken)
	}
	return r.revokeFamily(ctx, familyID, ReasonFamily)
}

func (r *Rotator) revokeFamily(ctx context.Context, id, reason string) error {
	now := r.now()
	f, st, err := r.store.Revoke(ctx, id, reason, now, now.Add(r.cfg.familyLifetime))
	if err != nil {
		return storeErr(err)
	}
	switch st {
	case RevokeTombstone:
		return nil
	case RevokeDone:
		r.emit(ctx, Event{Type: EventRevoked, FamilyID: id, SessionID: f.SessionID, Subject: f.Subject,
			Generation: f.Generation, Reason: reason, Time: now})
	}
	// Also for a family revoked before: a retry completes a revocation
	// whose Revoker call failed the first time.
	return r.revokeSession(ctx, &f)
}

// RevokeSubject revokes every live family of sub (log out everywhere, e.g.
// after a password change), and sends each family's sid to the Revoker.
//
// Families live in separate records (in Redis Cluster, in separate hash
// slots), so this is not one atomic step: it reads the subject's index,
// then revokes each family in turn. A refresh of a family not yet reached
// may still succeed in between; its successor dies when the family is
// reached. A login racing this call is either ordered after it (it was not
// in the index yet: a new, valid login) or refused with ErrRevoked (see
// Issue). When RevokeSubject returns nil, every family of sub that existed
// when it started is revoked. On an error, some may not be: call it again.
func (r *Rotator) RevokeSubject(ctx context.Context, sub string) error {
	if sub == "" {
		return fmt.Errorf("%w: subject required", ErrInvalidClaims)
	}
	ids, err := r.store.SubjectFamilies(ctx, sub, r.now())
	if err != nil {
		return storeErr(err)
	}
	var errs []error
	done := make([]string, 0, len(ids))
	for _, id := range ids {
		if !validFamilyID(id) {
			continue
		}
		if err := r.revokeFamily(ctx, id, ReasonSubject); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, id)
	}
	if len(done) > 0 {
		if err := r.store.RemoveFromSubject(ctx, sub, done); err != nil {
			errs = append(errs, storeErr(err))
		}
	}
	return errors.Join(errs...)
}
