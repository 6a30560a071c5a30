package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/rotation"
)

// Store is a rotation.Store on Redis. Safe for concurrent use; any number
// of instances (processes) may share one Redis.
type Store struct {
	rdb       redis.UniversalClient
	prefix    string
	retention time.Duration

	create, exchange, revoke, addSubject *redis.Script
}

var _ rotation.Store = (*Store)(nil)

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient,
// *redis.Ring or failover client).
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil Redis client", rotation.ErrInvalidOption)
	}
	s := &Store{
		rdb: rdb, prefix: DefaultPrefix, retention: DefaultRetention,
		create:     redis.NewScript(createScript),
		exchange:   redis.NewScript(exchangeScript),
		revoke:     redis.NewScript(revokeScript),
		addSubject: redis.NewScript(addSubjectScript),
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", rotation.ErrInvalidOption)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) familyKey(id string) string { return s.prefix + "fam:{" + id + "}" }

// subjectKey hashes the subject: it may hold braces (which would pick
// another hash tag) and need not be short.
func (s *Store) subjectKey(sub string) string {
	h := sha256.Sum256([]byte(sub))
	return s.prefix + "sub:{" + hex.EncodeToString(h[:16]) + "}"
}

// fail translates a go-redis error at the boundary: the caller sees
// rotation.ErrStore (and the context error, if that was the cause), never a
// go-redis type.
func fail(op string, err error) error {
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return fmt.Errorf("rotation/redisstore: %s: %w: %w", op, rotation.ErrStore, c)
		}
	}
	return fmt.Errorf("rotation/redisstore: %s: %w: %v", op, rotation.ErrStore, err)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// ttl is the key's lifetime: until expiry by the caller's clock, plus
// retention; never less than the retention.
func (s *Store) ttl(expiry, now time.Time) int64 {
	d := expiry.Sub(now)
	if d < 0 {
		d = 0
	}
	return (d + s.retention).Milliseconds()
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Create implements rotation.Store.
func (s *Store) Create(ctx context.Context, f rotation.Family, now time.Time) error {
	res, err := s.create.Run(ctx, s.rdb, []string{s.familyKey(f.ID)},
		f.Subject, f.SessionID, f.Claims, strconv.FormatUint(f.Generation, 10), f.Current[:],
		ms(f.CreatedAt), ms(f.RotatedAt), ms(f.IdleExpiresAt), ms(f.ExpiresAt),
		s.ttl(earliest(f.IdleExpiresAt, f.ExpiresAt), now)).Text()
	if err != nil {
		return fail("create", err)
	}
	switch res {
	case "ok":
		return nil
	case "revoked":
		return fmt.Errorf("%w: family %s was revoked before it was created", rotation.ErrRevoked, f.ID)
	case "exists":
		return fmt.Errorf("rotation/redisstore: create: %w: family %s already exists", rotation.ErrStore, f.ID)
	default:
		return fmt.Errorf("rotation/redisstore: create: %w: unexpected reply %q", rotation.ErrStore, res)
	}
}

var outcomes = map[string]rotation.Outcome{
	"notfound": rotation.OutcomeNotFound,
	"rotated":  rotation.OutcomeRotated,
	"grace":    rotation.OutcomeGrace,
	"reused":   rotation.OutcomeReused,
	"revoked":  rotation.OutcomeRevoked,
	"expired":  rotation.OutcomeExpired,
	"mismatch": rotation.OutcomeMismatch,
}

// Exchange implements rotation.Store: one EVALSHA.
func (s *Store) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	v, err := s.exchange.Run(ctx, s.rdb, []string{s.familyKey(req.FamilyID)},
		strconv.FormatUint(req.Generation, 10), req.Presented[:], req.Next[:], ms(req.Now),
		req.Grace.Milliseconds(), req.IdleTTL.Milliseconds(), s.retention.Milliseconds()).Slice()
	if err != nil {
		return rotation.ExchangeResult{}, fail("exchange", err)
	}
	name, fields, err := tagged(v)
	if err != nil {
		return rotation.ExchangeResult{}, fail("exchange", err)
	}
	o, ok := outcomes[name]
	if !ok {
		return rotation.ExchangeResult{}, fail("exchange", fmt.Errorf("unexpected outcome %q", name))
	}
	f, err := decodeFamily(req.FamilyID, fields)
	if err != nil {
		return rotation.ExchangeResult{}, fail("exchange", err)
	}
	return rotation.ExchangeResult{Outcome: o, Family: f}, nil
}

// Revoke implements rotation.Store.
func (s *Store) Revoke(ctx context.Context, id, reason string, now, keepUntil time.Time) (rotation.Family, rotation.RevokeStatus, error) {
	keep := keepUntil.Sub(now).Milliseconds()
	if keep < 1 {
		keep = 1
	}
	v, err := s.revoke.Run(ctx, s.rdb, []string{s.familyKey(id)}, ms(now), reason, keep).Slice()
	if err != nil {
		return rotation.Family{}, 0, fail("revoke", err)
	}
	name, fields, err := tagged(v)
	if err != nil {
		return rotation.Family{}, 0, fail("revoke", err)
	}
	var st rotation.RevokeStatus
	switch name {
	case "tombstone":
		return rotation.Family{}, rotation.RevokeTombstone, nil
	case "done":
		st = rotation.RevokeDone
	case "already":
		st = rotation.RevokeAlready
	default:
		return rotation.Family{}, 0, fail("revoke", fmt.Errorf("unexpected reply %q", name))
	}
	f, err := decodeFamily(id, fields)
	if err != nil {
		return rotation.Family{}, 0, fail("revoke", err)
	}
	return f, st, nil
}

// Get implements rotation.Store.
func (s *Store) Get(ctx context.Context, id string) (rotation.Family, bool, error) {
	m, err := s.rdb.HGetAll(ctx, s.familyKey(id)).Result()
	if err != nil {
		return rotation.Family{}, false, fail("get", err)
	}
	if len(m) == 0 || m["tomb"] != "" {
		return rotation.Family{}, false, nil
	}
	f, err := familyFromMap(id, m)
	if err != nil {
		return rotation.Family{}, false, fail("get", err)
	}
	return f, true, nil
}

// AddToSubject implements rotation.Store.
func (s *Store) AddToSubject(ctx context.Context, sub, id string, expiresAt, now time.Time) error {
	err := s.addSubject.Run(ctx, s.rdb, []string{s.subjectKey(sub)},
		ms(now), ms(expiresAt), id, s.ttl(expiresAt, now)).Err()
	if err != nil {
		return fail("add to subject", err)
	}
	return nil
}

// SubjectFamilies implements rotation.Store.
func (s *Store) SubjectFamilies(ctx context.Context, sub string, now time.Time) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.subjectKey(sub), &redis.ZRangeBy{
		Min: "(" + strconv.FormatInt(ms(now), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fail("subject families", err)
	}
	return ids, nil
}

// RemoveFromSubject implements rotation.Store.
func (s *Store) RemoveFromSubject(ctx context.Context, sub string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	if err := s.rdb.ZRem(ctx, s.subjectKey(sub), members...).Err(); err != nil {
		return fail("remove from subject", err)
	}
	return nil
}

// fieldOrder is the order of the fields in the scripts' HMGET.
var fieldOrder = [...]string{"st", "gen", "cur", "prev", "rt", "ie", "ae", "sub", "sid", "cl", "ct", "ra", "rr", "tomb"}

// tagged splits a script reply {outcome} or {outcome, {fields in
// fieldOrder}} into the outcome and the fields present. A field is a bulk
// string, or an integer where the script computed it.
func tagged(v []any) (string, map[string]string, error) {
	if len(v) == 0 {
		return "", nil, errors.New("empty reply")
	}
	name, ok := v[0].(string)
	if !ok {
		return "", nil, fmt.Errorf("reply tag of type %T", v[0])
	}
	if len(v) == 1 {
		return name, nil, nil
	}
	vals, ok := v[1].([]any)
	if !ok || len(vals) > len(fieldOrder) {
		return "", nil, fmt.Errorf("reply fields of type %T", v[1])
	}
	m := make(map[string]string, len(vals))
	for i, val := range vals {
		switch x := val.(type) {
		case nil:
		case string:
			m[fieldOrder[i]] = x
		case int64:
			m[fieldOrder[i]] = strconv.FormatInt(x, 10)
		default:
			return "", nil, fmt.Errorf("field %s of type %T", fieldOrder[i], val)
		}
	}
	return name, m, nil
}

func decodeFamily(id string, m map[string]string) (rotation.Family, error) {
	if m == nil {
		return rotation.Family{}, nil
	}
	if m["tomb"] != "" {
		return rotation.Family{ID: id, Revoked: true, RevokeReason: m["rr"]}, nil
	}
	return familyFromMap(id, m)
}

func familyFromMap(id string, m map[string]string) (rotation.Family, error) {
	f := rotation.Family{
		ID: id, Subject: m["sub"], SessionID: m["sid"], Claims: []byte(m["cl"]),
		Revoked: m["st"] == "r", RevokeReason: m["rr"],
	}
	var err error
	num := func(field string) int64 {
		s, ok := m[field]
		if !ok || err != nil {
			return 0
		}
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			err = fmt.Errorf("field %s: %w", field, perr)
		}
		return n
	}
	at := func(field string) time.Time {
		if _, ok := m[field]; !ok {
			return time.Time{}
		}
		return time.UnixMilli(num(field)).UTC()
	}
	f.Generation = uint64(num("gen"))
	f.CreatedAt, f.RotatedAt = at("ct"), at("rt")
	f.IdleExpiresAt, f.ExpiresAt, f.RevokedAt = at("ie"), at("ae"), at("ra")
	if cur := m["cur"]; len(cur) == len(f.Current) {
		copy(f.Current[:], cur)
	} else if err == nil {
		err = fmt.Errorf("field cur has %d bytes", len(cur))
	}
	return f, err
}
