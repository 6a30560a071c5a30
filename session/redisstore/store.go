package redisstore

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/session"
)

// Store is a session.Store in Redis. It is safe for concurrent use and may
// be shared by any number of Managers and processes.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	grace  int64 // ms
}

var _ session.Store = (*Store)(nil)

// New returns a Store over rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring or failover client. It needs Redis 6.2 or later; it issues no
// command when constructed.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redisstore: nil client", session.ErrInvalidOption)
	}
	c := config{prefix: "credence:session:", grace: 5 * time.Minute}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: redisstore: nil option", session.ErrInvalidOption)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	return &Store{rdb: rdb, prefix: c.prefix, grace: c.grace.Milliseconds()}, nil
}

func (s *Store) metaKey(tag string) string { return s.prefix + "{" + tag + "}:m" }

func (s *Store) recKey(tag, id string) string { return s.prefix + "{" + tag + "}:s:" + id }

// keys returns the record and index keys of a session ID.
func (s *Store) keys(id string) ([]string, bool) {
	tag, err := session.RouteTagOf(id)
	if err != nil {
		return nil, false
	}
	return []string{s.recKey(tag, id), s.metaKey(tag)}, true
}

// fail translates a go-redis error into the session package's errors.
func fail(op string, err error) error {
	return fmt.Errorf("session/redisstore: %s: %w: %w", op, session.ErrStore, err)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Create implements session.Store.
func (s *Store) Create(ctx context.Context, now time.Time, rec session.Record, limit session.Limit) ([]string, error) {
	tag, err := session.RouteTagOf(rec.ID)
	if err != nil {
		return nil, err
	}
	if tag != session.RouteTag(rec.UserID) {
		return nil, fmt.Errorf("%w: session ID does not carry the user's routing tag", session.ErrInvalidInput)
	}
	policy := "2"
	if limit.Policy == session.EvictOldest {
		policy = "1"
	}
	exp := ms(rec.Expiry())
	args := []any{
		ms(now), rec.ID, rec.UserID, ms(rec.CreatedAt) + ":" + exp + ":" + rec.UserID, exp,
		limit.Max, policy, s.grace,
		"uid", rec.UserID, "vh", hex.EncodeToString(rec.SecretHash[:]),
		"c", ms(rec.CreatedAt), "ls", ms(rec.LastSeenAt), "aa", ms(rec.AuthenticatedAt),
		"ie", ms(rec.IdleExpiresAt), "ae", ms(rec.ExpiresAt),
		"ip", addr(rec.IP), "ua", rec.UserAgent, "cc", rec.Country, "su", boolStr(rec.StepUpRequired),
	}
	keys := []string{s.recKey(tag, rec.ID), s.metaKey(tag)}
	res, err := createScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fail("create", err)
	}
	if len(res) == 0 {
		return nil, fail("create", errors.New("empty script reply"))
	}
	if n, _ := res[0].(int64); n == 0 {
		return nil, session.ErrLimitReached
	}
	var evicted []string
	for _, v := range res[1:] {
		if id, ok := v.(string); ok {
			evicted = append(evicted, id)
		}
	}
	s.dropRecords(ctx, tag, evicted)
	return evicted, nil
}

// dropRecords deletes the record keys of sessions already removed from the
// index. They are dead either way; failing here only leaves them to their
// TTL, so the error is not reported.
func (s *Store) dropRecords(ctx context.Context, tag string, ids []string) {
	if len(ids) == 0 || ctx.Err() != nil {
		return
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.recKey(tag, id)
	}
	_ = s.rdb.Del(ctx, keys...).Err()
}

// Get implements session.Store: one script, one round trip. The index entry
// decides whether the session exists; see getScript for why this is not a
// pipeline of plain reads.
func (s *Store) Get(ctx context.Context, now time.Time, id string) (session.Record, error) {
	keys, ok := s.keys(id)
	if !ok {
		return session.Record{}, session.ErrNotFound
	}
	res, err := getScript.Run(ctx, s.rdb, keys, id).Slice()
	if errors.Is(err, redis.Nil) {
		return session.Record{}, session.ErrNotFound
	}
	if err != nil {
		return session.Record{}, fail("get", err)
	}
	r, err := decode(id, res)
	if err != nil {
		return session.Record{}, err
	}
	if !now.Before(r.Expiry()) {
		return r, session.ErrExpired
	}
	return r, nil
}

// Touch implements session.Store.
func (s *Store) Touch(ctx context.Context, now time.Time, id string, t session.Touch) error {
	keys, ok := s.keys(id)
	if !ok {
		return session.ErrNotFound
	}
	n, err := touchScript.Run(ctx, s.rdb, keys, id, ms(now), ms(t.LastSeenAt), ms(t.IdleExpiresAt),
		addr(t.IP), t.UserAgent, t.Country, boolStr(t.SetStepUp), s.grace).Int64()
	if err != nil {
		return fail("touch", err)
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

// Rekey implements session.Store.
func (s *Store) Rekey(ctx context.Context, now time.Time, id string, k session.Rekey) (session.Record, error) {
	keys, ok := s.keys(id)
	if !ok {
		return session.Record{}, session.ErrNotFound
	}
	aa := ""
	if !k.AuthenticatedAt.IsZero() {
		aa = ms(k.AuthenticatedAt)
	}
	res, err := rekeyScript.Run(ctx, s.rdb, keys, id, ms(now), hex.EncodeToString(k.OldHash[:]),
		hex.EncodeToString(k.NewHash[:]), ms(k.LastSeenAt), ms(k.IdleExpiresAt), aa, s.grace).Slice()
	if errors.Is(err, redis.Nil) {
		return session.Record{}, session.ErrNotFound
	}
	if err != nil {
		return session.Record{}, fail("rekey", err)
	}
	return decode(id, res)
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, now time.Time, id string) (session.Record, error) {
	keys, ok := s.keys(id)
	if !ok {
		return session.Record{}, session.ErrNotFound
	}
	res, err := deleteScript.Run(ctx, s.rdb, keys, id, ms(now)).Slice()
	if errors.Is(err, redis.Nil) {
		return session.Record{}, session.ErrNotFound
	}
	if err != nil {
		return session.Record{}, fail("delete", err)
	}
	return decode(id, res)
}

// DeleteUser implements session.Store. The index change, which ends the
// sessions, is one script; the record keys are then deleted in one more
// command.
func (s *Store) DeleteUser(ctx context.Context, now time.Time, userID, keepID string) ([]string, error) {
	tag := session.RouteTag(userID)
	res, err := deleteUserScript.Run(ctx, s.rdb, []string{s.metaKey(tag)}, ms(now), userID, keepID).StringSlice()
	if err != nil {
		return nil, fail("delete user", err)
	}
	s.dropRecords(ctx, tag, res)
	return res, nil
}

// List implements session.Store: a read of the index, then a read of the
// records together with their index entries, each in MULTI/EXEC. A
// transaction, unlike a plain pipeline, goes to the master even when the
// client reads from replicas, and the second one shows only sessions still
// in the index at that instant: a revoked session is never listed.
func (s *Store) List(ctx context.Context, now time.Time, userID string) ([]session.Record, error) {
	tag := session.RouteTag(userID)
	meta := s.metaKey(tag)
	var all *redis.MapStringStringCmd
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, meta)
		return nil
	}); err != nil {
		return nil, fail("list", err)
	}
	nowMS := now.UnixMilli()
	var ids []string
	for id, v := range all.Val() {
		_, rest, _ := strings.Cut(v, ":")
		e, uid, _ := strings.Cut(rest, ":")
		if exp, err := strconv.ParseInt(e, 10, 64); err == nil && exp > nowMS && uid == userID {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []session.Record{}, nil
	}
	var entries *redis.SliceCmd
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		entries = p.HMGet(ctx, meta, ids...)
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.recKey(tag, id))
		}
		return nil
	}); err != nil {
		return nil, fail("list", err)
	}
	out := make([]session.Record, 0, len(ids))
	for i, id := range ids {
		m := cmds[i].Val()
		if entries.Val()[i] == nil || len(m) == 0 {
			continue // ended between the two reads
		}
		rec, err := decodeMap(id, m)
		if err != nil {
			return nil, err
		}
		if now.Before(rec.Expiry()) {
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(a, b session.Record) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// decode turns a script's HGETALL reply into a Record.
func decode(id string, flat []any) (session.Record, error) {
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[k] = v
	}
	return decodeMap(id, m)
}

func decodeMap(id string, m map[string]string) (session.Record, error) {
	bad := func(field string) (session.Record, error) {
		return session.Record{}, fmt.Errorf("session/redisstore: %w: record %s: bad field %q", session.ErrStore, id, field)
	}
	r := session.Record{ID: id, UserID: m["uid"], UserAgent: m["ua"], Country: m["cc"], StepUpRequired: m["su"] == "1"}
	h, err := hex.DecodeString(m["vh"])
	if err != nil || len(h) != len(r.SecretHash) {
		return bad("vh")
	}
	copy(r.SecretHash[:], h)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"c", &r.CreatedAt}, {"ls", &r.LastSeenAt}, {"aa", &r.AuthenticatedAt}, {"ie", &r.IdleExpiresAt}, {"ae", &r.ExpiresAt}} {
		v, err := strconv.ParseInt(m[f.name], 10, 64)
		if err != nil {
			return bad(f.name)
		}
		*f.dst = time.UnixMilli(v).UTC()
	}
	if ip := m["ip"]; ip != "" {
		if r.IP, err = netip.ParseAddr(ip); err != nil {
			return bad("ip")
		}
	}
	return r, nil
}
