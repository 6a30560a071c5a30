package redisstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/redistest"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/redisstore"
	"github.com/credence-go/credence/rotation/rotationtest"
)

// countHook counts commands and pipelines sent by a client: each is one
// round trip.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

type instance struct {
	store *redisstore.Store
	rot   *rotation.Rotator
}

func newInstance(t *testing.T, rdb redis.UniversalClient, clock *rotationtest.Clock, opts ...rotation.Option) instance {
	s, err := redisstore.New(rdb, redisstore.WithPrefix(fmt.Sprintf("inst%d:", prefixes.Add(1))))
	require.NoError(t, err)
	return instanceOn(t, s, clock, opts...)
}

func instanceOn(t *testing.T, s *redisstore.Store, clock *rotationtest.Clock, opts ...rotation.Option) instance {
	rot, err := rotation.New(s, &rotationtest.Issuer{Now: clock.Now},
		append([]rotation.Option{rotation.WithMACKey(rotationtest.Key), rotation.WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	return instance{s, rot}
}

// Refresh costs exactly one round trip to Redis (plus the access token,
// which needs none).
func TestRefreshIsOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, rdb := range map[string]redis.UniversalClient{
		"single":  redistest.Start(t).Client(),
		"cluster": redistest.StartCluster(t).Client(),
	} {
		t.Run(name, func(t *testing.T) {
			hook := &countHook{}
			rdb.AddHook(hook)
			clock := rotationtest.NewClock(rotationtest.T0)
			in := newInstance(t, rdb, clock, rotation.WithGracePeriod(time.Minute))
			p, err := in.rot.Issue(ctx, jwt.Claims{Subject: "u"})
			require.NoError(t, err)
			p, err = in.rot.Refresh(ctx, p.RefreshToken) // loads the script (EVALSHA, NOSCRIPT, EVAL)
			require.NoError(t, err)

			const n = 20
			before := hook.n.Load()
			for range n {
				p, err = in.rot.Refresh(ctx, p.RefreshToken)
				require.NoError(t, err)
			}
			assert.Equal(t, int64(n), hook.n.Load()-before, "rotations")

			before = hook.n.Load()
			_, err = in.rot.Refresh(ctx, p.RefreshToken) // rotate
			require.NoError(t, err)
			_, err = in.rot.Refresh(ctx, p.RefreshToken) // grace replay
			require.NoError(t, err)
			assert.Equal(t, int64(2), hook.n.Load()-before, "rotation and grace replay")
		})
	}
}

// Two instances (their own clients, connection pools and Rotators) race on
// one token: exactly one exchange wins.
func TestTwoInstancesRacing(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	clock := rotationtest.NewClock(rotationtest.T0)
	s1, err := redisstore.New(srv.Client(), redisstore.WithPrefix("shared:"))
	require.NoError(t, err)
	s2, err := redisstore.New(srv.Client(), redisstore.WithPrefix("shared:"))
	require.NoError(t, err)
	a, b := instanceOn(t, s1, clock), instanceOn(t, s2, clock)

	for trial := range rotationtest.Trials {
		p, err := a.rot.Issue(ctx, jwt.Claims{Subject: fmt.Sprintf("u%d", trial)})
		require.NoError(t, err)
		var wins, reused, revoked atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range rotationtest.Presenters {
			rot := a.rot
			if i%2 == 1 {
				rot = b.rot
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := rot.Refresh(ctx, p.RefreshToken)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, rotation.ErrReused):
					reused.Add(1)
				case errors.Is(err, rotation.ErrRevoked):
					revoked.Add(1)
				default:
					t.Errorf("trial %d: %v", trial, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		require.Equalf(t, int64(1), wins.Load(), "trial %d: one winner across two instances", trial)
		require.Equalf(t, int64(1), reused.Load(), "trial %d", trial)
		require.Equalf(t, int64(rotationtest.Presenters-2), revoked.Load(), "trial %d", trial)
	}
}

// After a reuse error the revocation is durable: a new connection, a new
// Store and a new Rotator all see the family revoked.
func TestReuseVisibleOnFreshConnection(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	clock := rotationtest.NewClock(rotationtest.T0)
	first := redis.NewClient(&redis.Options{Addr: srv.Addr})
	s1, err := redisstore.New(first, redisstore.WithPrefix("durable:"))
	require.NoError(t, err)
	a := instanceOn(t, s1, clock)
	p0, err := a.rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	p1, err := a.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)
	_, err = a.rot.Refresh(ctx, p0.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrReused)
	require.NoError(t, first.Close())

	fresh := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = fresh.Close() })
	s2, err := redisstore.New(fresh, redisstore.WithPrefix("durable:"))
	require.NoError(t, err)
	f, found, err := s2.Get(ctx, p0.FamilyID)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, f.Revoked)
	assert.Equal(t, rotation.ReasonReuse, f.RevokeReason)
	b := instanceOn(t, s2, clock)
	_, err = b.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked)
}

// Redis holds hashes only: neither a token nor its secret is in any key or
// value; every key has a TTL; family keys carry the {family} hash tag.
func TestStoresNoTokens(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb := srv.Client()
	clock := rotationtest.NewClock(rotationtest.T0)
	in := newInstance(t, rdb, clock, rotation.WithRefreshTTL(time.Hour), rotation.WithFamilyLifetime(2*time.Hour))
	p0, err := in.rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	p1, err := in.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)

	secret := func(tok string) string {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "crt_"))
		require.NoError(t, err)
		return string(raw[1+16+8 : 1+16+8+32])
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	var sawFamily bool
	for _, k := range keys {
		if strings.Contains(k, "fam:{"+p0.FamilyID+"}") {
			sawFamily = true
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Greaterf(t, ttl, time.Duration(0), "key %s has a TTL", k)
		assert.LessOrEqualf(t, ttl, 2*time.Hour+redisstore.DefaultRetention, "key %s", k)
		dump, err := rdb.Dump(ctx, k).Result()
		require.NoError(t, err)
		for _, tok := range []string{p0.RefreshToken, p1.RefreshToken} {
			assert.NotContains(t, dump, tok)
			assert.NotContains(t, dump, secret(tok))
			assert.NotContains(t, k, secret(tok))
		}
	}
	assert.True(t, sawFamily, "family key with its hash tag: %v", keys)
}

func TestNewRefusesBadOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	for name, opts := range map[string][]redisstore.Option{
		"brace in prefix": {redisstore.WithPrefix("a{b}:")},
		"empty prefix":    {redisstore.WithPrefix("")},
		"zero retention":  {redisstore.WithRetention(0)},
		"nil option":      {nil},
	} {
		_, err := redisstore.New(rdb, opts...)
		assert.ErrorIs(t, err, rotation.ErrInvalidOption, name)
	}
	_, err := redisstore.New(nil)
	assert.ErrorIs(t, err, rotation.ErrInvalidOption)
}

// A Redis that is down is an error, never a pass.
func TestRedisDownFailsClosed(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	clock := rotationtest.NewClock(rotationtest.T0)
	in := newInstance(t, rdb, clock)
	p, err := in.rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.NoError(t, err)
	srv.Stop()
	q, err := in.rot.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrStore)
	assert.Nil(t, q)
	assert.False(t, errors.Is(err, redis.Nil))
	require.ErrorIs(t, in.rot.Revoke(ctx, p.RefreshToken), rotation.ErrStore)
	_, err = in.rot.Issue(ctx, jwt.Claims{Subject: "u"})
	require.ErrorIs(t, err, rotation.ErrStore)
}

// loseReplies lets Redis run each command, then reports a timeout instead
// of its reply while lose is set: what a read timeout or a dropped
// connection does after the script has run.
type loseReplies struct{ lose atomic.Bool }

func (h *loseReplies) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *loseReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if h.lose.Load() {
			return context.DeadlineExceeded
		}
		return err
	}
}

func (h *loseReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type sidRecorder struct {
	mu   sync.Mutex
	sids []string
}

func (r *sidRecorder) RevokeSession(_ context.Context, sid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sids = append(r.sids, sid)
	return nil
}

func (r *sidRecorder) revoked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sids...)
}

// The script that detected a reuse ran, but its reply never came back: the
// caller got ErrStore and the Revoker was not called. The next
// presentation (the client retrying) sends the sid.
func TestReuseReplyLostRevokesSessionLater(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb := srv.Client()
	hook := &loseReplies{}
	rdb.AddHook(hook)
	rv := &sidRecorder{}
	in := newInstance(t, rdb, rotationtest.NewClock(rotationtest.T0), rotation.WithRevoker(rv))
	p0, err := in.rot.Issue(ctx, jwt.Claims{Subject: "u", SessionID: "sess-u"})
	require.NoError(t, err)
	p1, err := in.rot.Refresh(ctx, p0.RefreshToken)
	require.NoError(t, err)

	hook.lose.Store(true)
	_, err = in.rot.Refresh(ctx, p0.RefreshToken)
	hook.lose.Store(false)
	require.ErrorIs(t, err, rotation.ErrStore)
	assert.Empty(t, rv.revoked())

	_, err = in.rot.Refresh(ctx, p1.RefreshToken)
	require.ErrorIs(t, err, rotation.ErrRevoked, "the lost step did revoke the family")
	assert.Equal(t, []string{"sess-u"}, rv.revoked())
}

// A subject's families live in many hash slots (on several Cluster nodes)
// apart from the subject's index: RevokeSubject reaches every one of them,
// and each script still touches a single slot (no CROSSSLOT).
func TestRevokeSubjectAcrossClusterSlots(t *testing.T) {
	ctx := context.Background()
	c := redistest.StartCluster(t)
	rdb := c.Client()
	rv := &sidRecorder{}
	s, err := redisstore.New(rdb, redisstore.WithPrefix("xslot:"))
	require.NoError(t, err)
	in := instanceOn(t, s, rotationtest.NewClock(rotationtest.T0), rotation.WithRevoker(rv))

	var pairs []*rotation.Pair
	nodes := map[string]bool{}
	for range 12 {
		p, err := in.rot.Issue(ctx, jwt.Claims{Subject: "nina"})
		require.NoError(t, err)
		pairs = append(pairs, p)
		key := "xslot:fam:{" + p.FamilyID + "}"
		master, err := rdb.MasterForKey(ctx, key)
		require.NoError(t, err)
		n, err := master.Exists(ctx, key).Result()
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "the family lives on the node of its slot")
		nodes[master.Options().Addr] = true
	}
	require.GreaterOrEqual(t, len(nodes), 2, "the families are spread over several nodes")

	require.NoError(t, in.rot.RevokeSubject(ctx, "nina"))
	for i, p := range pairs {
		_, err := in.rot.Refresh(ctx, p.RefreshToken)
		require.ErrorIsf(t, err, rotation.ErrRevoked, "family %d", i)
	}
	sids := map[string]bool{}
	for _, sid := range rv.revoked() {
		sids[sid] = true
	}
	assert.Len(t, sids, len(pairs), "every family's sid reached the Revoker")
}
