package rotationtest

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/rotation"
)

// racyStore is the classic bug (research pitfall 1): an exchange that reads
// the family, then decides and writes in a second step. Between the two,
// other exchanges of the same token read the same head, and every one of
// them "wins".
type racyStore struct{ *rotation.MemoryStore }

func (s racyStore) Exchange(ctx context.Context, req rotation.ExchangeRequest) (rotation.ExchangeResult, error) {
	f, found, err := s.Get(ctx, req.FamilyID)
	if err != nil || !found || f.Revoked || f.Generation != req.Generation || f.Current != req.Presented {
		return s.MemoryStore.Exchange(ctx, req)
	}
	runtime.Gosched() // the window any real network round trip opens
	res, err := s.MemoryStore.Exchange(ctx, req)
	if err == nil && res.Outcome != rotation.OutcomeRotated {
		f.Generation++
		f.Current = req.Next
		res = rotation.ExchangeResult{Outcome: rotation.OutcomeRotated, Family: f}
	}
	return res, err
}

// The suite can fail: run against a read-then-write store (in a child
// process, since a failing suite fails its test), it must report the
// forked family.
func TestSuiteCatchesRacyStore(t *testing.T) {
	if os.Getenv("ROTATIONTEST_RACY_CHILD") == "1" {
		Run(t, func(t *testing.T) rotation.Store { return racyStore{rotation.NewMemoryStore()} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesRacyStore$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ROTATIONTEST_RACY_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the suite passed a store whose exchange is not atomic:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestSuiteCatchesRacyStore/Rotator/ConcurrentExchangeOneWinner")
	assert.Contains(t, string(out), "exactly one exchange may win")
	assert.Contains(t, string(out), "--- PASS: TestSuiteCatchesRacyStore/Store/ExchangeRotates",
		"the sequential cases still pass: only the race exposes the bug")
}
