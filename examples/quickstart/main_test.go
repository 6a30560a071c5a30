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
	require.Contains(t, out.String(), "jwt: invalid signature")
}
