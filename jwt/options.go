package jwt

import (
	"fmt"
	"time"
)

// Option configures an Issuer or a Verifier. Options are shared by both; one
// that does not apply to the constructor it is given to makes it fail with
// ErrInvalidOption, so a misplaced security setting is never silently
// ignored.
type Option func(*config) error

type role uint8

const (
	roleIssuer role = iota + 1
	roleVerifier
)

func (r role) String() string {
	if r == roleIssuer {
		return "issuer"
	}
	return "verifier"
}

// Defaults.
const (
	DefaultTTL          = 10 * time.Minute // issuer token lifetime
	MaxTTL              = 15 * time.Minute // longest lifetime without AllowLongLived
	DefaultLeeway       = 30 * time.Second
	DefaultMaxTokenSize = 8 << 10
	DefaultType         = "at+jwt" // RFC 9068
	maxLeeway           = 5 * time.Minute
	maxCacheEntries     = 1 << 24
)

type config struct {
	role role

	issuer      string
	issuerSet   bool
	audience    []string
	audienceSet bool
	anyAudience bool
	now         func() time.Time
	typ         string
	typSet      bool
	ttl         time.Duration
	longLived   bool
	algs        []Algorithm
	leeway      time.Duration
	required    []string
	requiredSet bool
	revocation  RevocationChecker
	cache       int
	maxSize     int
}

func newConfig(r role, opts []Option) (*config, error) {
	c := &config{
		role: r, now: time.Now, typ: DefaultType, ttl: DefaultTTL,
		leeway: DefaultLeeway, maxSize: DefaultMaxTokenSize,
		required: []string{"sub", "iat", "jti"},
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func only(r role, name string, c *config) error {
	if c.role != r {
		return fmt.Errorf("%w: %s does not apply to a %s", ErrInvalidOption, name, c.role)
	}
	return nil
}

// WithIssuer sets "iss" on issued tokens; a verifier requires exactly it.
// Required by both.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidOption)
		}
		c.issuer, c.issuerSet = iss, true
		return nil
	}
}

// WithAudience sets "aud" on issued tokens; a verifier accepts a token whose
// "aud" holds at least one of them. A verifier needs either this or
// AnyAudience.
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if len(aud) == 0 {
			return fmt.Errorf("%w: WithAudience needs at least one audience", ErrInvalidOption)
		}
		for _, a := range aud {
			if a == "" {
				return fmt.Errorf("%w: empty audience", ErrInvalidOption)
			}
		}
		c.audience, c.audienceSet = append([]string(nil), aud...), true
		return nil
	}
}

// AnyAudience is a verifier's explicit opt-out of the audience check. Use it
// only where every token of the issuer is meant for this service.
func AnyAudience() Option {
	return func(c *config) error {
		if err := only(roleVerifier, "AnyAudience", c); err != nil {
			return err
		}
		c.anyAudience = true
		return nil
	}
}

// WithClock sets the clock. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}

// WithType sets the header "typ". Default "at+jwt" (RFC 9068). A verifier
// compares it case-insensitively and also accepts "application/" before it;
// a verifier given "" accepts any typ (and none).
func WithType(typ string) Option {
	return func(c *config) error {
		if typ == "" && c.role == roleIssuer {
			return fmt.Errorf("%w: an issuer needs a token type", ErrInvalidOption)
		}
		c.typ, c.typSet = typ, true
		return nil
	}
}

// WithTTL sets the issuer's token lifetime. Default 10 minutes; over 15
// minutes only with AllowLongLived.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		if err := only(roleIssuer, "WithTTL", c); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("%w: TTL %v", ErrInvalidOption, d)
		}
		c.ttl = d
		return nil
	}
}

// AllowLongLived lets an issuer mint tokens that live longer than 15
// minutes, and a verifier accept them. Short-lived access tokens are the
// point of a stateless design: prefer refresh-token rotation.
func AllowLongLived() Option {
	return func(c *config) error {
		c.longLived = true
		return nil
	}
}

// WithAlgorithms sets the verifier's allow-list. Default: every asymmetric
// algorithm (ES*, EdDSA, RS*, PS*). HS256/384/512 are accepted only when
// listed here. A token is still verified only with its key's own algorithm.
func WithAlgorithms(algs ...Algorithm) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithAlgorithms", c); err != nil {
			return err
		}
		if len(algs) == 0 {
			return fmt.Errorf("%w: empty algorithm list", ErrInvalidOption)
		}
		for _, a := range algs {
			if _, ok := lookupAlg(a); !ok {
				return fmt.Errorf("%w: unknown algorithm %q", ErrInvalidOption, a)
			}
		}
		c.algs = append([]Algorithm(nil), algs...)
		return nil
	}
}

// WithLeeway sets the verifier's allowance for clock skew on exp, nbf and
// iat. Default 30 seconds; at most 5 minutes.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithLeeway", c); err != nil {
			return err
		}
		if d < 0 || d > maxLeeway {
			return fmt.Errorf("%w: leeway %v (0 to %v)", ErrInvalidOption, d, maxLeeway)
		}
		c.leeway = d
		return nil
	}
}

// WithRequiredClaims replaces the claims a verifier requires besides "exp",
// which is always required. Default: sub, iat, jti. Any claim name may be
// listed; a private one must be present in the token.
func WithRequiredClaims(names ...string) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithRequiredClaims", c); err != nil {
			return err
		}
		c.required = c.required[:0:0]
		for _, n := range names {
			if n == "" {
				return fmt.Errorf("%w: empty claim name", ErrInvalidOption)
			}
			if n != "exp" {
				c.required = append(c.required, n)
			}
		}
		c.requiredSet = true
		return nil
	}
}

// WithRevocation makes the verifier ask rc about every token, cached or
// not. An error from rc fails the verification.
func WithRevocation(rc RevocationChecker) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithRevocation", c); err != nil {
			return err
		}
		if rc == nil {
			return fmt.Errorf("%w: nil RevocationChecker", ErrInvalidOption)
		}
		c.revocation = rc
		return nil
	}
}

// WithCache gives the verifier a cache of up to entries verified tokens,
// keyed by the whole token. A token seen again skips the signature check;
// expiry, not-before and revocation are still checked on every call, and an
// entry is dropped when its key leaves the key source. Memory is taken as
// the cache fills. Default: no cache; at most 16,777,216 entries.
func WithCache(entries int) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithCache", c); err != nil {
			return err
		}
		if entries < 0 || entries > maxCacheEntries {
			return fmt.Errorf("%w: cache size %d (0 to %d)", ErrInvalidOption, entries, maxCacheEntries)
		}
		c.cache = entries
		return nil
	}
}

// WithMaxTokenSize sets the largest token a verifier reads, checked before
// anything else. Default 8 KiB.
func WithMaxTokenSize(bytes int) Option {
	return func(c *config) error {
		if err := only(roleVerifier, "WithMaxTokenSize", c); err != nil {
			return err
		}
		if bytes < 64 || bytes > 1<<20 {
			return fmt.Errorf("%w: max token size %d (64 B to 1 MiB)", ErrInvalidOption, bytes)
		}
		c.maxSize = bytes
		return nil
	}
}

// typeMatches implements RFC 9068 §4's comparison of typ: ASCII
// case-insensitive (media types are ASCII; Unicode folding would let "ſ"
// stand for "s"), with an optional "application/" prefix.
func typeMatches(want, got string) bool {
	if asciiEqualFold(got, want) {
		return true
	}
	const prefix = "application/"
	return len(got) > len(prefix) && asciiEqualFold(got[:len(prefix)], prefix) && asciiEqualFold(got[len(prefix):], want)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
