//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestSecondProcessCannotShareFile: filesink's exclusive lock stops a second
// collector from writing to a file the first one has open; the first keeps
// writing, unharmed.
func TestSecondProcessCannotShareFile(t *testing.T) {
	first := newCollector(t, "first", deliveryConfig)
	first.start()
	shared := strings.ReplaceAll(deliveryConfig, "@DIR@", first.dir)
	second := newCollector(t, "second", shared)
	second.startNoWait()
	_, err := second.waitExit(60 * time.Second)
	require.Error(t, err, "the second collector must fail to start")
	assert.Contains(t, second.logs(), "locked by another process", "the failure names the lock")

	client := newLogClient(t, first.grpcEndpoint())
	require.Equal(t, codes.OK, client.send(0, 100))
	eventually(t, 30*time.Second, "the first collector to keep writing", func() bool {
		return mustReadFile(t, first.outFile("logs"), "logs").Records == 100
	})
}
