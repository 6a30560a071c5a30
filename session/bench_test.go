package session_test

import (
	"context"
	"testing"

	"github.com/credence-go/credence/session"
)

// BenchmarkValidateMemory is the Manager's own cost: parsing, hashing, the
// constant-time compare and the anomaly checks, over the in-process store.
func BenchmarkValidateMemory(b *testing.B) {
	m, err := session.NewManager(session.NewMemoryStore())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := session.ClientInfo{IP: paris, UserAgent: "bench"}
	_, token, err := m.Create(ctx, "alice", c)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Validate(ctx, token, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateMemoryUnderLimit(b *testing.B) {
	m, err := session.NewManager(session.NewMemoryStore(), session.WithMaxSessions(5, session.EvictOldest))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := session.ClientInfo{IP: paris, UserAgent: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Create(ctx, "alice", c); err != nil {
			b.Fatal(err)
		}
	}
}
