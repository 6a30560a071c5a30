package redisstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/credence-go/credence/rotation"
)

// Defaults.
const (
	DefaultPrefix    = "credence:rotation:"
	DefaultRetention = time.Hour
)

// Option configures a Store.
type Option func(*Store) error

// WithPrefix sets the prefix of every key. Default: "credence:rotation:".
// It must not contain '{' or '}', which would move the keys' hash slot.
func WithPrefix(p string) Option {
	return func(s *Store) error {
		if p == "" || strings.ContainsAny(p, "{}") {
			return fmt.Errorf("%w: key prefix %q must be non-empty and without braces", rotation.ErrInvalidOption, p)
		}
		s.prefix = p
		return nil
	}
}

// WithRetention sets how long Redis keeps a family past its expiry before
// dropping the key (garbage collection only; validity never depends on
// it). A presentation within it is answered "expired", after it "not
// found"; both are rotation.ErrExpired. Default: 1 hour. Must be positive.
func WithRetention(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("%w: retention must be positive, got %v", rotation.ErrInvalidOption, d)
		}
		s.retention = d
		return nil
	}
}
