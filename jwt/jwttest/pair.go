package jwttest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credence-go/credence/jwt"
)

// The fixed claims of every Pair.
const (
	IssuerID   = "https://issuer.jwttest.invalid"
	AudienceID = "https://api.jwttest.invalid"
)

// StartTime is where a Pair's clock starts unless WithClock gives another:
// 2026-01-01T00:00:00Z, so that expected times in tests are fixed.
func StartTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// Pair is an issuer and a verifier that trust each other: the verifier
// accepts exactly what the issuer mints, under the shared fake clock.
type Pair struct {
	Key      *jwt.Key    // the signing key (private)
	Keys     *jwt.KeySet // the issuer's set; the verifier reads it too, so Rotate and Retire apply to both
	Issuer   *jwt.Issuer
	Verifier *jwt.Verifier
	Clock    *Clock
}

// Option configures New and NewPair.
type Option func(*config) error

type config struct {
	alg       jwt.Algorithm
	clock     *Clock
	issuerOpt []jwt.Option
	verifyOpt []jwt.Option
}

// WithAlgorithm sets the algorithm of the pair's key. Default ES256. An
// HMAC algorithm is added to the verifier's allow-list.
func WithAlgorithm(alg jwt.Algorithm) Option {
	return func(c *config) error {
		c.alg = alg
		return nil
	}
}

// WithClock makes the pair use c, for a test that shares one clock among
// several components. Default: a new Clock at StartTime.
func WithClock(c *Clock) Option {
	return func(cfg *config) error {
		if c == nil {
			return errors.New("jwttest: nil Clock")
		}
		cfg.clock = c
		return nil
	}
}

// WithIssuerOptions adds options to the issuer, after the pair's own
// (WithIssuer, WithAudience, WithClock), which they may override: WithTTL,
// for example.
func WithIssuerOptions(opts ...jwt.Option) Option {
	return func(c *config) error {
		c.issuerOpt = append(c.issuerOpt, opts...)
		return nil
	}
}

// WithVerifierOptions adds options to the verifier, after the pair's own:
// WithRevocation, WithCache, WithLeeway, WithRequiredClaims...
func WithVerifierOptions(opts ...jwt.Option) Option {
	return func(c *config) error {
		c.verifyOpt = append(c.verifyOpt, opts...)
		return nil
	}
}

// NewPair returns a Pair on a freshly generated key. Tests usually call New
// instead; NewPair is for code without a testing.TB, such as examples.
func NewPair(opts ...Option) (*Pair, error) {
	cfg := config{alg: jwt.ES256}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("jwttest: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.clock == nil {
		cfg.clock = NewClock(StartTime())
	}
	key, err := jwt.GenerateKey(cfg.alg)
	if err != nil {
		return nil, fmt.Errorf("jwttest: %w", err)
	}
	ks, err := jwt.NewKeySet(key)
	if err != nil {
		return nil, fmt.Errorf("jwttest: %w", err)
	}
	iss, err := jwt.NewIssuer(ks, append([]jwt.Option{
		jwt.WithIssuer(IssuerID), jwt.WithAudience(AudienceID), jwt.WithClock(cfg.clock.Now),
	}, cfg.issuerOpt...)...)
	if err != nil {
		return nil, fmt.Errorf("jwttest: issuer: %w", err)
	}
	vopts := []jwt.Option{jwt.WithIssuer(IssuerID), jwt.WithAudience(AudienceID), jwt.WithClock(cfg.clock.Now)}
	if cfg.alg.IsSymmetric() {
		vopts = append(vopts, jwt.WithAlgorithms(cfg.alg))
	}
	ver, err := jwt.NewVerifier(ks, append(vopts, cfg.verifyOpt...)...)
	if err != nil {
		return nil, fmt.Errorf("jwttest: verifier: %w", err)
	}
	return &Pair{Key: key, Keys: ks, Issuer: iss, Verifier: ver, Clock: cfg.clock}, nil
}

// New returns a Pair, failing the test if it cannot be built.
func New(t testing.TB, opts ...Option) *Pair {
	t.Helper()
	p, err := NewPair(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Token issues a token for c and returns it, failing the test on error.
// The issuer fills iss, aud (unless c has one), iat, nbf, exp and jti; set
// c.Subject, which the verifier requires by default.
func (p *Pair) Token(t testing.TB, c jwt.Claims) string {
	t.Helper()
	tok, err := p.Issuer.Issue(t.Context(), c)
	if err != nil {
		t.Fatalf("jwttest: issue: %v", err)
	}
	return tok.Raw
}

// Bearer returns the Authorization header value carrying a token for c:
// "Bearer " and the token.
func (p *Pair) Bearer(t testing.TB, c jwt.Claims) string {
	t.Helper()
	return "Bearer " + p.Token(t, c)
}

// Rotate generates a key of the pair's algorithm and makes it the signing
// key; the previous key still verifies until p.Keys.Retire(old.ID()). It
// returns the new key and fails the test on error. It updates p.Key, so it
// must not run concurrently with reads of p.Key (the pair's issuer and
// verifier are safe to use meanwhile).
func (p *Pair) Rotate(t testing.TB) *jwt.Key {
	t.Helper()
	k, err := jwt.GenerateKey(p.Key.Algorithm())
	if err != nil {
		t.Fatalf("jwttest: %v", err)
	}
	if err := p.Keys.Rotate(k); err != nil {
		t.Fatalf("jwttest: rotate: %v", err)
	}
	p.Key = k
	return k
}
