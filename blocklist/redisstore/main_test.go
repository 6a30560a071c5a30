package redisstore_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/credence-go/credence/internal/redistest"
)

// exampleAddr is the redis-server the examples use; TestMain starts it,
// because an Example function has no *testing.T to start one with.
var exampleAddr string

func TestMain(m *testing.M) {
	// The examples cannot skip. Without redis-server the whole package is
	// skipped, as every Redis test is, with the same message and the same
	// CREDENCE_REQUIRE_REDIS=1 override (then Start fails loudly).
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv(redistest.RequireEnv) != "1" {
		fmt.Printf("SKIP blocklist/redisstore: redis-server not found on PATH (%v); install it or set %s=1 to make this a failure\n", err, redistest.RequireEnv)
		os.Exit(0)
	}
	tb := &mainTB{}
	srv := redistest.Start(tb)
	exampleAddr = srv.Addr
	code := m.Run()
	tb.cleanup()
	os.Exit(code)
}

// mainTB is the part of testing.TB that redistest.Start uses, for TestMain.
// The embedded interface is nil: any other method would panic, loudly.
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (*mainTB) Helper() {}

func (m *mainTB) Cleanup(f func()) { m.cleanups = append(m.cleanups, f) }

func (m *mainTB) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
}

func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "redisstore-example-")
	if err != nil {
		m.Fatalf("%v", err)
	}
	m.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (m *mainTB) Fatalf(format string, args ...any) {
	m.cleanup()
	panic(fmt.Sprintf(format, args...))
}

// Skipf is called when redis-server is missing and not required; the
// examples cannot run without it, so this is a failure.
func (m *mainTB) Skipf(format string, args ...any) {
	m.Fatalf("the examples need redis-server: "+format, args...)
}
