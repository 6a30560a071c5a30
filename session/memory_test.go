package session_test

import (
	"testing"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/sessiontest"
)

func TestMemoryStoreConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store { return session.NewMemoryStore() })
}
