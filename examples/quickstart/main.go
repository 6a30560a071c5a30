// Command quickstart is a tour of Credence on in-memory stores: no setup,
// no Redis. Each step prints what it did.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the whole tour; main_test.go runs it too.
func run(ctx context.Context, out io.Writer) error {
	t := &tour{out: out}
	steps := []struct {
		name string
		fn   func(context.Context, *tour) error
	}{
		{"Access tokens (package jwt)", tourJWT},
		{"JWKS and HTTP middleware (package jwt)", tourRemote},
		{"Revoking access tokens (package blocklist)", tourBlocklist},
		{"Refresh tokens (package rotation)", tourRotation},
		{"Server-side sessions (package session)", tourSession},
	}
	for _, s := range steps {
		fmt.Fprintf(out, "\n== %s\n", s.name)
		if err := s.fn(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fmt.Fprintln(out, "\nDone.")
	return nil
}

type tour struct {
	out io.Writer
	n   int
}

func (t *tour) step(format string, args ...any) {
	t.n++
	fmt.Fprintf(t.out, "%2d. %s\n", t.n, fmt.Sprintf(format, args...))
}
