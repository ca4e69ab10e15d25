//go:build e2e

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSampleRequests posts the repository's sample OTLP/JSON requests
// (testdata/otlp, the ones the README shows with curl) to the OTLP/HTTP
// receiver, and finds every record of them in filesink's files.
func TestSampleRequests(t *testing.T) {
	c := newCollector(t, "collector", deliveryConfig)
	c.start()
	want := map[string]int{}
	for _, signal := range []string{"logs", "traces", "metrics"} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "otlp", signal+".json"))
		require.NoError(t, err)
		n, err := countRecords(bytes.TrimSpace(body), signal, map[int64]int{})
		require.NoError(t, err, "%s sample decodes with pdata", signal)
		require.Positive(t, n)
		want[signal] = n
		resp, err := http.Post("http://"+c.httpEndpoint()+"/v1/"+signal, "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, "POST /v1/%s", signal)
	}
	for signal, n := range want {
		path := filepath.Join(c.dir, "out", signal+".jsonl")
		eventually(t, 20*time.Second, signal+" sample in the file", func() bool {
			fc, err := readFile(path, signal)
			return err == nil && fc.Records == n
		})
		fc := mustReadFile(t, path, signal)
		assert.Zero(t, fc.BadN, "%s: unparsable lines", signal)
	}
}
