package redisstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/credence-go/credence/session"
)

// Option configures a Store. An invalid option makes New fail.
type Option func(*config) error

type config struct {
	prefix string
	grace  time.Duration
}

// WithPrefix sets the prefix of every key. Default: "credence:session:". It
// may not contain '{' or '}', which would break the hash tags.
func WithPrefix(p string) Option {
	return func(c *config) error {
		if strings.ContainsAny(p, "{}") {
			return fmt.Errorf("%w: redisstore: key prefix %q contains a brace", session.ErrInvalidOption, p)
		}
		c.prefix = p
		return nil
	}
}

// WithGracePeriod sets how long Redis keeps a key after the session it holds
// expired. Redis expiry only collects garbage; the grace period must exceed
// the clock skew between the instances sharing the store. Default: 5m.
func WithGracePeriod(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: redisstore: grace period %v", session.ErrInvalidOption, d)
		}
		c.grace = d
		return nil
	}
}
