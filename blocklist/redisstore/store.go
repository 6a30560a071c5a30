package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/credence-go/credence/blocklist"
)

// Store is a blocklist.Store on Redis. It is safe for concurrent use; it does
// not own the client (closing the client is the caller's job).
type Store struct {
	rdb       redis.UniversalClient
	o         options
	entries   string
	expiry    string
	feed      string
	seq       string
	epoch     string
	revokeKey []string
}

var _ blocklist.Store = (*Store)(nil)

const (
	// collectPerWrite bounds how many expired entries one write removes, so
	// a write stays O(1) while the set stays bounded.
	collectPerWrite = 64
	// readCount bounds the feed entries fetched per read.
	readCount = 1024
	// maxCatchUp bounds the reads of one Changes call (64k changes).
	maxCatchUp = 64
	// batchSize bounds the scripts sent in one pipeline by Revoke.
	batchSize = 512
	// scanCount is the HSCAN hint for snapshots.
	scanCount = 2048
)

// New returns a Store using rdb. It does not touch the server.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redisstore: nil client", blocklist.ErrInvalid)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: redisstore: nil option", blocklist.ErrInvalid)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	tag := "{" + o.prefix + "}"
	s := &Store{
		rdb:     rdb,
		o:       o,
		entries: tag + ":entries",
		expiry:  tag + ":expiry",
		feed:    tag + ":feed",
		seq:     tag + ":seq",
		epoch:   tag + ":epoch",
	}
	s.revokeKey = []string{s.entries, s.expiry, s.feed, s.seq, s.epoch}
	return s, nil
}

// Revoke implements blocklist.Store. Each entry is one atomic script; a
// batch is sent in pipelines and is not atomic as a whole.
func (s *Store) Revoke(ctx context.Context, now time.Time, entries ...blocklist.Entry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	nowSec := now.Unix()
	live := make([]blocklist.Entry, 0, len(entries))
	for _, e := range entries {
		if now.Before(e.ExpiresAt) {
			live = append(live, e)
		}
	}
	if len(live) == 1 {
		return translate("revoke", revokeScript.Run(ctx, s.rdb, s.revokeKey, s.revokeArgs(live[0], nowSec)...).Err())
	}
	for len(live) > 0 {
		n := min(len(live), batchSize)
		if err := s.revokeBatch(ctx, live[:n], nowSec); err != nil {
			return err
		}
		live = live[n:]
	}
	return nil
}

func (s *Store) revokeBatch(ctx context.Context, batch []blocklist.Entry, nowSec int64) error {
	pending := batch
	for attempt := 0; len(pending) > 0; attempt++ {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(pending))
		for i, e := range pending {
			cmds[i] = revokeScript.EvalSha(ctx, pipe, s.revokeKey, s.revokeArgs(e, nowSec)...)
		}
		_, _ = pipe.Exec(ctx)
		var again []blocklist.Entry
		for i, cmd := range cmds {
			err := cmd.Err()
			if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0 {
				// Only these did not run (the server's script cache was
				// empty): load the script and send them again.
				again = append(again, pending[i])
				continue
			}
			if err != nil {
				return translate("revoke", err)
			}
		}
		if len(again) > 0 {
			if err := revokeScript.Load(ctx, s.rdb).Err(); err != nil {
				return translate("load script", err)
			}
		}
		pending = again
	}
	return nil
}

func (s *Store) revokeArgs(e blocklist.Entry, nowSec int64) []any {
	exp := e.ExpiresAt.Unix()
	if e.ExpiresAt.Nanosecond() > 0 {
		exp++ // round up: never shorten a revocation
	}
	var wm int64
	if e.Kind == blocklist.KindSubject {
		wm = max(e.Watermark.Unix(), 0)
	}
	return []any{field(e), exp, wm, nowSec, newEpoch(), s.o.retention.Milliseconds(), collectPerWrite}
}

// Snapshot implements blocklist.Store. It reads the feed position first and
// then scans the entries, so a write racing the scan is either in the scan,
// or after the position, or both; never neither.
func (s *Store) Snapshot(ctx context.Context, now time.Time) (blocklist.Snapshot, error) {
	res, err := positionScript.Run(ctx, s.rdb, []string{s.seq, s.epoch, s.feed}, newEpoch()).StringSlice()
	if err != nil {
		return blocklist.Snapshot{}, translate("snapshot position", err)
	}
	if len(res) != 3 {
		return blocklist.Snapshot{}, fmt.Errorf("%w: redisstore: unexpected position reply %q", blocklist.ErrUnavailable, res)
	}
	seq, err := strconv.ParseUint(res[1], 10, 64)
	if err != nil {
		return blocklist.Snapshot{}, fmt.Errorf("%w: redisstore: bad seq %q", blocklist.ErrUnavailable, res[1])
	}
	cur := blocklist.Cursor{Epoch: res[0], Seq: seq, Pos: res[2]}
	nowSec := now.Unix()
	var out []blocklist.Entry
	var scan uint64
	for {
		kvs, next, err := s.rdb.HScan(ctx, s.entries, scan, "", scanCount).Result()
		if err != nil {
			return blocklist.Snapshot{}, translate("snapshot scan", err)
		}
		for i := 0; i+1 < len(kvs); i += 2 {
			e, err := parseEntry(kvs[i], kvs[i+1])
			if err != nil {
				return blocklist.Snapshot{}, err
			}
			if e.ExpiresAt.Unix() > nowSec {
				out = append(out, e)
			}
		}
		if next == 0 {
			break
		}
		scan = next
	}
	return blocklist.Snapshot{Entries: out, Cursor: cur}, nil
}

// Changes implements blocklist.Store with a blocking XREAD from the cursor's
// stream ID. An idle wait ends with a check of the epoch and seq, which
// catches a reset server (new epoch) and a stream whose IDs went backwards
// (entries after our seq that XREAD cannot see).
//
// go-redis does not interrupt a blocking read when ctx is cancelled, so a
// call may outlive its ctx by up to wait.
func (s *Store) Changes(ctx context.Context, after blocklist.Cursor, wait time.Duration) ([]blocklist.Change, blocklist.Cursor, error) {
	if after.Epoch == "" || after.Pos == "" {
		return nil, after, fmt.Errorf("%w: redisstore: cursor %+v is not from this store", blocklist.ErrGap, after)
	}
	wait = max(wait, time.Millisecond)
	streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{s.feed, after.Pos},
		Count:   readCount,
		Block:   wait,
	}).Result()
	switch {
	case err == nil:
		var msgs []redis.XMessage
		for _, st := range streams {
			msgs = append(msgs, st.Messages...)
		}
		if len(msgs) > 0 {
			if msgs, err = s.drain(ctx, msgs); err != nil {
				return nil, after, err
			}
			return s.parseFeed(after, msgs)
		}
	case errors.Is(err, redis.Nil):
	default:
		return nil, after, translate("read feed", err)
	}
	return s.check(ctx, after)
}

// drain completes a batch that filled a whole read: it reads on until the
// end of the feed, so that a successful Changes always reaches the head as
// it was at the last read (the List takes a successful call as proof that
// it is up to date). A follower more than maxCatchUp reads behind gets
// ErrGap instead, and a snapshot is the cheaper way to catch up anyway.
func (s *Store) drain(ctx context.Context, msgs []redis.XMessage) ([]redis.XMessage, error) {
	last := msgs
	for reads := 1; len(last) >= readCount; reads++ {
		if reads >= maxCatchUp {
			return nil, fmt.Errorf("%w: redisstore: follower more than %d changes behind; take a snapshot", blocklist.ErrGap, len(msgs))
		}
		var err error
		last, err = s.rdb.XRangeN(ctx, s.feed, "("+msgs[len(msgs)-1].ID, "+", readCount).Result()
		if err != nil {
			return nil, translate("read feed", err)
		}
		msgs = append(msgs, last...)
	}
	return msgs, nil
}

func (s *Store) check(ctx context.Context, after blocklist.Cursor) ([]blocklist.Change, blocklist.Cursor, error) {
	res, err := checkScript.Run(ctx, s.rdb, []string{s.epoch, s.seq, s.feed}, after.Pos, readCount).Slice()
	if err != nil {
		return nil, after, translate("check feed", err)
	}
	if len(res) != 3 {
		return nil, after, fmt.Errorf("%w: redisstore: unexpected check reply", blocklist.ErrUnavailable)
	}
	epoch, _ := res[0].(string)
	seqStr, _ := res[1].(string)
	if epoch != after.Epoch {
		return nil, after, fmt.Errorf("%w: redisstore: epoch %q, cursor from %q: the data was reset", blocklist.ErrGap, epoch, after.Epoch)
	}
	seq, err := strconv.ParseUint(seqStr, 10, 64)
	if err != nil {
		return nil, after, fmt.Errorf("%w: redisstore: bad seq %q", blocklist.ErrUnavailable, seqStr)
	}
	raw, _ := res[2].([]any)
	msgs := make([]redis.XMessage, 0, len(raw))
	for _, r := range raw {
		m, ok := parseRawMessage(r)
		if !ok {
			return nil, after, fmt.Errorf("%w: redisstore: unexpected feed entry %v", blocklist.ErrUnavailable, r)
		}
		msgs = append(msgs, m)
	}
	if msgs, err = s.drain(ctx, msgs); err != nil {
		return nil, after, err
	}
	out, cur, err := s.parseFeed(after, msgs)
	if err != nil {
		return nil, after, err
	}
	// Everything up to seq was in the feed when the script ran, and drain
	// may have read later writes too: seq must be reached, and passed only
	// when drain read on.
	if cur.Seq < seq || (len(raw) < readCount && cur.Seq != seq) {
		return nil, after, fmt.Errorf("%w: redisstore: feed at seq %d, cursor at %d with nothing between", blocklist.ErrGap, seq, cur.Seq)
	}
	return out, cur, nil
}

// parseFeed turns stream entries after the cursor into changes, checking
// that they belong to the cursor's epoch and follow its seq without holes.
func (s *Store) parseFeed(after blocklist.Cursor, msgs []redis.XMessage) ([]blocklist.Change, blocklist.Cursor, error) {
	cur := after
	out := make([]blocklist.Change, 0, len(msgs))
	for _, m := range msgs {
		seqStr, _ := m.Values["s"].(string)
		epoch, _ := m.Values["e"].(string)
		f, _ := m.Values["f"].(string)
		v, _ := m.Values["v"].(string)
		seq, err := strconv.ParseUint(seqStr, 10, 64)
		if err != nil {
			return nil, after, fmt.Errorf("%w: redisstore: feed entry %s has bad seq %q", blocklist.ErrUnavailable, m.ID, seqStr)
		}
		if epoch != after.Epoch {
			return nil, after, fmt.Errorf("%w: redisstore: feed entry %s from epoch %q, cursor from %q", blocklist.ErrGap, m.ID, epoch, after.Epoch)
		}
		if seq <= cur.Seq {
			// Every entry after the cursor's stream position was written
			// after the cursor's seq, so it must carry a greater one. A
			// smaller one means the seq went backwards (a failover to a
			// replica that lost the last writes): this is a new write that
			// reuses a seq the follower has already seen, not old news.
			return nil, after, fmt.Errorf("%w: redisstore: feed entry %s has seq %d, cursor at %d: the feed went backwards", blocklist.ErrGap, m.ID, seq, cur.Seq)
		}
		if seq != cur.Seq+1 {
			return nil, after, fmt.Errorf("%w: redisstore: changes %d..%d were trimmed from the feed", blocklist.ErrGap, cur.Seq+1, seq-1)
		}
		e, err := parseEntry(f, v)
		if err != nil {
			return nil, after, err
		}
		out = append(out, blocklist.Change{Seq: seq, Entry: e})
		cur.Seq, cur.Pos = seq, m.ID
	}
	return out, cur, nil
}

func parseRawMessage(r any) (redis.XMessage, bool) {
	pair, ok := r.([]any)
	if !ok || len(pair) != 2 {
		return redis.XMessage{}, false
	}
	id, ok := pair[0].(string)
	if !ok {
		return redis.XMessage{}, false
	}
	kv, ok := pair[1].([]any)
	if !ok {
		return redis.XMessage{}, false
	}
	vals := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		vals[k] = kv[i+1]
	}
	return redis.XMessage{ID: id, Values: vals}, true
}

var kindPrefix = map[blocklist.Kind]string{
	blocklist.KindToken:   "t:",
	blocklist.KindSession: "s:",
	blocklist.KindSubject: "u:",
}

func field(e blocklist.Entry) string { return kindPrefix[e.Kind] + e.ID }

// parseEntry decodes a hash field and value ("<exp>:<watermark>").
func parseEntry(f, v string) (blocklist.Entry, error) {
	bad := func() (blocklist.Entry, error) {
		return blocklist.Entry{}, fmt.Errorf("%w: redisstore: malformed entry %q = %q", blocklist.ErrUnavailable, f, v)
	}
	if len(f) < 3 || f[1] != ':' {
		return bad()
	}
	var e blocklist.Entry
	switch f[0] {
	case 't':
		e.Kind = blocklist.KindToken
	case 's':
		e.Kind = blocklist.KindSession
	case 'u':
		e.Kind = blocklist.KindSubject
	default:
		return bad()
	}
	e.ID = f[2:]
	expStr, wmStr, ok := strings.Cut(v, ":")
	if !ok {
		return bad()
	}
	exp, err1 := strconv.ParseInt(expStr, 10, 64)
	wm, err2 := strconv.ParseInt(wmStr, 10, 64)
	if err1 != nil || err2 != nil {
		return bad()
	}
	e.ExpiresAt = time.Unix(exp, 0).UTC()
	if e.Kind == blocklist.KindSubject {
		e.Watermark = time.Unix(wm, 0).UTC()
	}
	return e, nil
}

// newEpoch is a fresh random epoch candidate: it only becomes the epoch if
// the key is missing, i.e. when the data is new or was lost.
func newEpoch() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// translate turns a go-redis error into one wrapping blocklist.ErrUnavailable.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%w: redisstore: %s: unexpected nil reply", blocklist.ErrUnavailable, op)
	}
	return fmt.Errorf("%w: redisstore: %s: %w", blocklist.ErrUnavailable, op, err)
}
