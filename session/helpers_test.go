package session_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/sessiontest"
)

var (
	paris  = netip.MustParseAddr("192.0.2.10")
	lyon   = netip.MustParseAddr("192.0.2.77")
	berlin = netip.MustParseAddr("198.51.100.20")
	other  = netip.MustParseAddr("203.0.113.5") // unknown to the resolver
)

func geo() *session.StaticGeoResolver {
	return session.NewStaticGeoResolver(map[netip.Prefix]string{
		netip.MustParsePrefix("192.0.2.0/24"):    "FR",
		netip.MustParsePrefix("198.51.100.0/24"): "DE",
	})
}

// recorder collects events and revocations.
type recorder struct {
	mu      sync.Mutex
	events  []session.Event
	revoked []string
	fail    error
}

func (r *recorder) on(_ context.Context, e session.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) RevokeSession(_ context.Context, sid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.revoked = append(r.revoked, sid)
	return nil
}

func (r *recorder) types() []session.EventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []session.EventType
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

func (r *recorder) of(t session.EventType) []session.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []session.Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.revoked = nil, nil
}

func (r *recorder) revokedIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.revoked...)
}

type fixture struct {
	m     *session.Manager
	store *countingStore
	clock *sessiontest.Clock
	rec   *recorder
	ctx   context.Context
}

func newFixture(t *testing.T, opts ...session.Option) *fixture {
	t.Helper()
	f := &fixture{
		store: &countingStore{Store: session.NewMemoryStore()},
		clock: sessiontest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)),
		rec:   &recorder{},
		ctx:   context.Background(),
	}
	base := []session.Option{session.WithClock(f.clock.Now), session.WithEvents(f.rec.on),
		session.WithRevoker(f.rec), session.WithGeoResolver(geo())}
	m, err := session.NewManager(f.store, append(base, opts...)...)
	require.NoError(t, err)
	f.m = m
	return f
}

// countingStore counts the writes a Manager makes.
type countingStore struct {
	session.Store
	mu      sync.Mutex
	touches int
	fail    error
}

func (c *countingStore) Touch(ctx context.Context, now time.Time, id string, t session.Touch) error {
	c.mu.Lock()
	c.touches++
	c.mu.Unlock()
	return c.Store.Touch(ctx, now, id, t)
}

func (c *countingStore) Get(ctx context.Context, now time.Time, id string) (session.Record, error) {
	c.mu.Lock()
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return session.Record{}, fail
	}
	return c.Store.Get(ctx, now, id)
}

func (c *countingStore) touchCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touches
}

var errDown = errors.Join(session.ErrStore, errors.New("connection refused"))
