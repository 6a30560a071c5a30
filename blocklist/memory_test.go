package blocklist_test

import (
	"testing"

	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/blocklist/blocklisttest"
)

func TestMemoryStoreConformance(t *testing.T) {
	blocklisttest.Run(t, func(*testing.T) blocklist.Store { return blocklist.NewMemoryStore() })
}
