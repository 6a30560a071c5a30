package jwt

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of RemoteKeys.
const (
	DefaultRemoteTimeout      = 10 * time.Second
	DefaultRemoteMaxBodySize  = 256 << 10
	DefaultRemoteMaxKeys      = 100
	DefaultRefreshInterval    = 5 * time.Minute
	DefaultMinRefreshInterval = 30 * time.Second
	maxRemoteRedirects        = 3
)

// RemoteKeys is a KeySource that reads the JWK Set published by an issuer
// (JWKSHandler serves one), for services that verify tokens they did not
// sign. It is safe for concurrent use.
//
// The set is fetched once by NewRemoteKeys and then again when it is older
// than the refresh interval (or the response's Cache-Control max-age, kept
// within the minimum and the refresh interval): the lookup that finds it
// stale starts one fetch in the background and is answered from the set in
// hand. A lookup for an unknown kid (a key the issuer has just rotated to)
// waits for one fetch, rate-limited: at most one fetch starts per minimum
// refresh interval however many lookups ask, so a flood of tokens with made-
// up kids cannot turn into a flood of requests. A fetch that fails (network
// error, timeout, a status other than 200, a body over the size cap, more
// keys than the cap, an empty or invalid set) changes nothing: the last good
// set keeps answering, and the next attempt waits for the minimum interval.
//
// Only the configured URL is ever fetched: keys are never looked up through
// a token's jku, x5u, jwk or x5c header (the Verifier does not pass them on),
// and redirects are followed only within the URL's origin.
//
// Call Close when done, to stop a fetch in flight.
type RemoteKeys struct {
	url    string
	logURL string // url without its password
	client *http.Client
	cfg    remoteConfig
	now    func() time.Time

	snap atomic.Pointer[remoteSnap]

	base   context.Context // parent of every background fetch; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// flight is the fetch under way; nextTry is the Unix time in
	// nanoseconds before which no fetch may start (0: any time). Both are
	// read without the lock on the hot path, written under it.
	flight  atomic.Pointer[remoteFetch]
	nextTry atomic.Int64

	mu      sync.Mutex // serialises starting fetches; guards the fields below
	lastErr error
	closed  bool
}

var _ KeySource = (*RemoteKeys)(nil)

// remoteSnap is one fetched set; immutable.
type remoteSnap struct {
	m         *keyMap
	etag      string
	refreshAt time.Time
}

type remoteFetch struct {
	done chan struct{}
	err  error // set before done is closed
}

// RemoteOption configures NewRemoteKeys. An invalid value makes it fail with
// ErrInvalidOption.
type RemoteOption func(*remoteConfig) error

type remoteConfig struct {
	client     *http.Client
	timeout    time.Duration
	maxBody    int64
	maxKeys    int
	refresh    time.Duration
	minRefresh time.Duration
	now        func() time.Time
	lazy       bool
	logger     *slog.Logger
}

// WithHTTPClient sets the client that fetches the set, for proxies, custom
// TLS roots or instrumentation. Default: a client on http.DefaultTransport.
// Whatever the client, each request is bounded by WithRequestTimeout and
// redirects are followed only to the same scheme and host (at most 3); the
// client's own CheckRedirect, if any, is consulted as well.
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(rc *remoteConfig) error {
		if c == nil {
			return fmt.Errorf("%w: nil http.Client", ErrInvalidOption)
		}
		rc.client = c
		return nil
	}
}

// WithRequestTimeout bounds each fetch, body included. Default 10 seconds;
// at most 5 minutes.
func WithRequestTimeout(d time.Duration) RemoteOption {
	return func(rc *remoteConfig) error {
		if d <= 0 || d > 5*time.Minute {
			return fmt.Errorf("%w: request timeout %v (above 0, at most 5m)", ErrInvalidOption, d)
		}
		rc.timeout = d
		return nil
	}
}

// WithMaxBodySize caps the size of the JWK Set document in bytes; a larger
// response fails the fetch without being read further. Default 256 KiB;
// 1 KiB to 16 MiB.
func WithMaxBodySize(n int64) RemoteOption {
	return func(rc *remoteConfig) error {
		if n < 1<<10 || n > 16<<20 {
			return fmt.Errorf("%w: max body size %d (1 KiB to 16 MiB)", ErrInvalidOption, n)
		}
		rc.maxBody = n
		return nil
	}
}

// WithMaxKeys caps the number of keys in the set; a larger set fails the
// fetch before any key is parsed. Default 100; 1 to 10000.
func WithMaxKeys(n int) RemoteOption {
	return func(rc *remoteConfig) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("%w: max keys %d (1 to 10000)", ErrInvalidOption, n)
		}
		rc.maxKeys = n
		return nil
	}
}

// WithRefreshInterval sets how long a fetched set is used before it is
// fetched again. A shorter Cache-Control max-age from the server wins, but
// never below the minimum refresh interval. Default 5 minutes; from the
// minimum refresh interval to 24 hours.
func WithRefreshInterval(d time.Duration) RemoteOption {
	return func(rc *remoteConfig) error {
		if d <= 0 || d > 24*time.Hour {
			return fmt.Errorf("%w: refresh interval %v (above 0, at most 24h)", ErrInvalidOption, d)
		}
		rc.refresh = d
		return nil
	}
}

// WithMinRefreshInterval sets the least time between the starts of two
// fetches: the rate limit on fetches caused by unknown kids, and the delay
// before a failed fetch is tried again. Default 30 seconds; 1 second to 1
// hour.
func WithMinRefreshInterval(d time.Duration) RemoteOption {
	return func(rc *remoteConfig) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("%w: min refresh interval %v (1s to 1h)", ErrInvalidOption, d)
		}
		rc.minRefresh = d
		return nil
	}
}

// WithRemoteClock sets the clock that decides when the set is stale and
// paces fetches. Default: time.Now. Request timeouts use real time.
func WithRemoteClock(now func() time.Time) RemoteOption {
	return func(rc *remoteConfig) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		rc.now = now
		return nil
	}
}

// WithLazyFetch makes NewRemoteKeys return without fetching, so that a
// service can start while the issuer is unreachable; the first lookup
// fetches instead, and lookups fail with ErrKeySource until a fetch has
// succeeded. Default: NewRemoteKeys fetches and fails if it cannot.
func WithLazyFetch() RemoteOption {
	return func(rc *remoteConfig) error {
		rc.lazy = true
		return nil
	}
}

// WithRemoteLogger sets where failed background fetches are reported (at
// level Warn). Default: nowhere.
func WithRemoteLogger(l *slog.Logger) RemoteOption {
	return func(rc *remoteConfig) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		rc.logger = l
		return nil
	}
}

// NewRemoteKeys returns a KeySource reading the JWK Set at jwksURL, which
// must be https (plain http only for a loopback host: localhost, 127.0.0.0/8
// or ::1). It fetches the set before returning (unless WithLazyFetch) and
// fails with an error wrapping ErrKeySource if it cannot; ctx bounds that
// first fetch only.
func NewRemoteKeys(ctx context.Context, jwksURL string, opts ...RemoteOption) (*RemoteKeys, error) {
	u, err := checkJWKSURL(jwksURL)
	if err != nil {
		return nil, err
	}
	cfg := remoteConfig{
		timeout: DefaultRemoteTimeout, maxBody: DefaultRemoteMaxBodySize, maxKeys: DefaultRemoteMaxKeys,
		refresh: DefaultRefreshInterval, minRefresh: DefaultMinRefreshInterval, now: time.Now,
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if ctx == nil && !cfg.lazy {
		return nil, fmt.Errorf("%w: nil context", ErrInvalidOption)
	}
	if cfg.refresh < cfg.minRefresh {
		return nil, fmt.Errorf("%w: refresh interval %v below the min refresh interval %v", ErrInvalidOption, cfg.refresh, cfg.minRefresh)
	}
	client := &http.Client{}
	if cfg.client != nil {
		c := *cfg.client // a copy, so that the redirect policy stays ours
		client = &c
	}
	client.CheckRedirect = sameOriginRedirects(u, client.CheckRedirect)

	r := &RemoteKeys{url: u.String(), logURL: u.Redacted(), client: client, cfg: cfg, now: cfg.now}
	r.base, r.cancel = context.WithCancel(context.Background())
	if cfg.lazy {
		return r, nil
	}
	r.nextTry.Store(r.now().Add(cfg.minRefresh).UnixNano())
	if err := r.fetch(ctx); err != nil {
		r.cancel()
		return nil, err
	}
	return r, nil
}

func checkJWKSURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS URL: %v", ErrInvalidOption, err)
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: JWKS URL %q is not absolute", ErrInvalidOption, raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("%w: JWKS URL must be https (plain http only for loopback hosts)", ErrInvalidOption)
		}
	default:
		return nil, fmt.Errorf("%w: JWKS URL scheme %q (need https)", ErrInvalidOption, u.Scheme)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// sameOriginRedirects refuses redirects that leave the JWKS URL's scheme and
// host: a downgrade to http would let a network attacker supply the keys.
func sameOriginRedirects(origin *url.URL, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRemoteRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrKeySource, maxRemoteRedirects)
		}
		if !strings.EqualFold(req.URL.Scheme, origin.Scheme) || !strings.EqualFold(req.URL.Host, origin.Host) {
			return fmt.Errorf("%w: redirect to another origin refused", ErrKeySource)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// VerificationKey implements KeySource.
func (r *RemoteKeys) VerificationKey(ctx context.Context, kid string) (*Key, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s := r.snap.Load()
	if s != nil {
		if now := r.now(); !now.Before(s.refreshAt) {
			r.start(now, false) // stale: refresh in the background, answer now
		}
		k, err := s.m.lookup(kid)
		if err == nil || !errors.Is(err, ErrUnknownKey) {
			return k, err
		}
	}
	// An unknown kid, or no set yet: wait for one fetch, if the rate limit
	// lets one start (or one is already under way).
	if f := r.start(r.now(), true); f != nil {
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrKeySource, ctx.Err())
		}
	}
	if s = r.snap.Load(); s == nil {
		r.mu.Lock()
		err := r.lastErr
		r.mu.Unlock()
		if err == nil {
			err = fmt.Errorf("%w: no JWK Set fetched yet", ErrKeySource)
		}
		return nil, err
	}
	return s.m.lookup(kid)
}

// Refresh fetches the set now, or waits for the fetch under way, ignoring
// the rate limit. Use it when the issuer is known to have rotated its keys.
func (r *RemoteKeys) Refresh(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	r.mu.Lock()
	f := r.flight.Load()
	if f == nil && !r.closed {
		f = r.startLocked(r.now())
	}
	r.mu.Unlock()
	if f == nil {
		return fmt.Errorf("%w: RemoteKeys closed", ErrKeySource)
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrKeySource, ctx.Err())
	}
}

// Close stops a fetch in flight and any later fetch. The last set keeps
// answering lookups.
func (r *RemoteKeys) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	return nil
}

// start returns the fetch under way or, when the rate limit allows, a new
// one; nil when none may start. forced marks a caller that will wait for
// the result (an unknown kid): it joins a fetch under way, where a caller
// that only found the set stale leaves it alone. Either way, a fetch starts
// at most once per min refresh interval. The checks before the lock keep
// lookups from queueing on it while the endpoint is down.
func (r *RemoteKeys) start(now time.Time, forced bool) *remoteFetch {
	if f := r.flight.Load(); f != nil {
		if forced {
			return f
		}
		return nil
	}
	if r.rateLimited(now) {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.flight.Load(); f != nil {
		if forced {
			return f
		}
		return nil
	}
	if r.closed || r.rateLimited(now) {
		return nil
	}
	return r.startLocked(now)
}

// rateLimited reports whether a fetch may not start at now. A clock that
// has gone back by more than the interval does not block fetches for the
// time it lost.
func (r *RemoteKeys) rateLimited(now time.Time) bool {
	n, next := now.UnixNano(), r.nextTry.Load()
	return n < next && n >= next-int64(r.cfg.minRefresh)
}

func (r *RemoteKeys) startLocked(now time.Time) *remoteFetch {
	f := &remoteFetch{done: make(chan struct{})}
	r.flight.Store(f)
	r.nextTry.Store(now.Add(r.cfg.minRefresh).UnixNano())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := r.fetch(r.base)
		if err != nil && r.cfg.logger != nil {
			r.cfg.logger.Warn("jwt: JWK Set refresh failed; keeping the last good set", "url", r.logURL, "err", err)
		}
		f.err = err
		r.mu.Lock()
		r.lastErr = err
		r.flight.Store(nil)
		r.mu.Unlock()
		close(f.done)
	}()
	return f
}

// fetch reads the set once and installs it; on any failure the current set
// stays.
func (r *RemoteKeys) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeySource, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	old := r.snap.Load()
	if old != nil && old.etag != "" {
		req.Header.Set("If-None-Match", old.etag)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: fetching the JWK Set: %w", ErrKeySource, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified && old != nil:
		r.snap.Store(&remoteSnap{m: old.m, etag: old.etag, refreshAt: r.refreshAt(resp.Header)})
		return nil
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: JWK Set endpoint answered %d", ErrKeySource, resp.StatusCode)
	case resp.ContentLength > r.cfg.maxBody:
		return fmt.Errorf("%w: JWK Set of %d bytes (limit %d)", ErrKeySource, resp.ContentLength, r.cfg.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.maxBody+1))
	if err != nil {
		return fmt.Errorf("%w: reading the JWK Set: %w", ErrKeySource, err)
	}
	if int64(len(body)) > r.cfg.maxBody {
		return fmt.Errorf("%w: JWK Set over %d bytes", ErrKeySource, r.cfg.maxBody)
	}
	if err := ctx.Err(); err != nil {
		// net/http can hand over a response that raced the deadline.
		return fmt.Errorf("%w: fetching the JWK Set: %w", ErrKeySource, err)
	}
	m, err := r.parse(body, old)
	if err != nil {
		return err
	}
	r.snap.Store(&remoteSnap{m: m, etag: resp.Header.Get("ETag"), refreshAt: r.refreshAt(resp.Header)})
	return nil
}

// parse checks the key count before any key is decoded, then builds the
// index, keeping the *Key of every key that has not changed: verifiers
// trust a cached token only while its key is the same *Key.
func (r *RemoteKeys) parse(body []byte, old *remoteSnap) (*keyMap, error) {
	n, err := countJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%w: JWK Set is not strict JSON: %v", ErrKeySource, err)
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: JWK Set without \"keys\"", ErrKeySource)
	}
	if n > r.cfg.maxKeys {
		return nil, fmt.Errorf("%w: JWK Set of %d keys (limit %d)", ErrKeySource, n, r.cfg.maxKeys)
	}
	keys, err := ParseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySource, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: JWK Set holds no signature key", ErrKeySource)
	}
	if old != nil {
		for i, k := range keys {
			if prev, ok := old.m.byID[k.id]; ok && sameKey(prev, k) {
				keys[i] = prev
			}
		}
	}
	m, err := newKeyMap(keys)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySource, err)
	}
	return m, nil
}

// countJWKS returns the number of entries of the document's "keys" array
// (-1 when there is none). It reads the document with the strict reader:
// jwx's set parser concatenates repeated "keys" members where
// encoding/json keeps the last, so a document with a duplicate member, at
// any depth, means different things to different parsers and is refused.
func countJWKS(body []byte) (int, error) {
	r := jsonReader{b: body}
	n := -1
	err := r.object(func(name []byte) error {
		if string(name) != "keys" || r.peek() == 'n' { // "keys": null is no keys
			_, err := r.skip(1)
			return err
		}
		if !r.expect('[') {
			return errJSON
		}
		n = 0
		if r.expect(']') {
			return nil
		}
		for {
			if _, err := r.skip(2); err != nil {
				return err
			}
			n++
			if r.expect(',') {
				continue
			}
			if r.expect(']') {
				return nil
			}
			return errJSON
		}
	})
	if err == nil && !r.end() {
		err = errJSON
	}
	return n, err
}

func sameKey(a, b *Key) bool {
	if a.alg != b.alg || a.secret != nil || b.secret != nil {
		return false
	}
	pa, ok := a.pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pa.Equal(b.pub)
}

// refreshAt is when the set just fetched becomes stale: after the server's
// max-age, kept within [min refresh, refresh].
func (r *RemoteKeys) refreshAt(h http.Header) time.Time {
	d := r.cfg.refresh
	if age, ok := maxAge(h.Get("Cache-Control")); ok && age < d {
		d = max(age, r.cfg.minRefresh)
	}
	return r.now().Add(d)
}

func maxAge(cc string) (time.Duration, bool) {
	for _, dir := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0, true
		case "max-age":
			n, err := strconv.ParseUint(strings.Trim(val, `"`), 10, 32)
			if err != nil {
				return 0, false
			}
			return time.Duration(n) * time.Second, true
		}
	}
	return 0, false
}
