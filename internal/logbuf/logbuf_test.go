package logbuf_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/internal/logbuf"
)

func TestConcurrentLoggersAndReaders(t *testing.T) {
	var buf logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				log.Info("line", "g", i, "n", j)
				_ = buf.String()
			}
		}()
	}
	wg.Wait()
	out := buf.String()
	require.Equal(t, 400, strings.Count(out, "msg=line"))
	require.Contains(t, out, fmt.Sprintf("g=%d n=%d", 7, 49))
}
