package rotation_test

import (
	"testing"

	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/rotation/rotationtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	rotationtest.Run(t, func(t *testing.T) rotation.Store { return rotation.NewMemoryStore() })
}
