package redisstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/credence-go/credence/blocklist"
)

// Option configures a Store.
type Option func(*options) error

type options struct {
	prefix    string
	retention time.Duration
}

func defaultOptions() options {
	return options{prefix: "credence:blocklist", retention: 15 * time.Minute}
}

// WithPrefix sets the key prefix, so that several applications (or several
// blocklists) can share one Redis. It becomes the hash tag of every key, so it
// must not contain '{' or '}'. Default: "credence:blocklist".
func WithPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" || len(prefix) > 256 || strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("%w: redisstore: prefix %q must be 1..256 bytes without '{' or '}'", blocklist.ErrInvalid, prefix)
		}
		o.prefix = prefix
		return nil
	}
}

// WithFeedRetention sets how long (by the Redis server's clock) changes stay
// in the feed stream. A replica disconnected for longer takes a full snapshot
// when it comes back instead of catching up from the feed; nothing is lost
// either way. Default: 15 minutes.
func WithFeedRetention(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second || d > 24*time.Hour {
			return fmt.Errorf("%w: redisstore: feed retention %v out of range [1s, 24h]", blocklist.ErrInvalid, d)
		}
		o.retention = d
		return nil
	}
}
