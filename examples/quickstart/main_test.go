package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tour is documentation that runs: every step checks what it shows.
func TestQuickstartRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Contains(t, out.String(), "Done.")
	for _, want := range []string{
		"jwt: invalid signature",                  // a forged token
		"403 Bearer error=\"insufficient_scope\"", // middleware scopes
		"jwt: token revoked",                      // blocklist
		"rotation: refresh token reused",          // reuse detection
		"session: anomaly detected",               // country jump
	} {
		require.Contains(t, out.String(), want)
	}
}
