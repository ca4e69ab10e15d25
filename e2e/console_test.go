//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// consoleConfig sends logs through resilientsink into consolesink.
func consoleConfig(output, format string) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 1000
exporters:
  consolesink:
    output: %s
    format: %s
    verbosity: normal
    color: always
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [consolesink]
`, output, format)
}

// TestConsoleOutputs: consolesink prints one flat JSON object per record on
// stdout (for kubectl logs), and OTLP/JSON requests on stderr between the
// collector's own log lines; every record exactly once, every line whole.
func TestConsoleOutputs(t *testing.T) {
	const n = 3000
	send := func(t *testing.T, c *collector) {
		client := newLogClient(t, c.grpcEndpoint())
		for i := int64(0); i < n; i += 100 {
			require.Equal(t, codes.OK, client.send(i, 100))
		}
	}

	t.Run("json/stdout", func(t *testing.T) {
		c := newCollector(t, "collector", consoleConfig("stdout", "json"))
		c.start()
		send(t, c)
		seqs := map[int64]int{}
		var lines, bad int
		count := func() {
			clear(seqs)
			lines, bad = 0, 0
			sc := bufio.NewScanner(bytes.NewReader(c.stdout()))
			sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
			for sc.Scan() {
				lines++
				var rec struct {
					Severity   string         `json:"severity"`
					Body       string         `json:"body"`
					Attributes map[string]any `json:"attributes"`
					Resource   map[string]any `json:"resource"`
				}
				if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Body != "end-to-end test record" || rec.Severity != "INFO" {
					bad++
					continue
				}
				if v, ok := rec.Attributes[seqKey].(float64); ok {
					seqs[int64(v)]++
				}
			}
		}
		eventually(t, 30*time.Second, fmt.Sprintf("%d JSON lines on stdout", n), func() bool {
			count()
			return lines >= n
		})
		c.stop(30 * time.Second)
		count()
		assert.Zero(t, bad, "lines that are not one JSON object per record")
		assert.Equal(t, n, lines)
		for i := range int64(n) {
			if seqs[i] != 1 {
				t.Fatalf("record %d printed %d times", i, seqs[i])
			}
		}
		assert.NotContains(t, string(c.stdout()), "\x1b[", "color applies to the text format only")
		assert.NotContains(t, c.logs(), "end-to-end test record", "records go to stdout only")
	})

	t.Run("otlp_json/stderr", func(t *testing.T) {
		c := newCollector(t, "collector", consoleConfig("stderr", "otlp_json"))
		c.start()
		send(t, c)
		var fc fileContent
		parse := func() {
			fc = fileContent{Seqs: map[int64]int{}}
			sc := bufio.NewScanner(bytes.NewReader([]byte(c.logs())))
			sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
			for sc.Scan() {
				if !bytes.HasPrefix(sc.Bytes(), []byte(`{"resourceLogs"`)) {
					continue // the collector's own log line
				}
				fc.Lines++
				fc.add(countRecords(sc.Bytes(), "logs", fc.Seqs))
			}
		}
		eventually(t, 30*time.Second, fmt.Sprintf("%d records on stderr", n), func() bool {
			parse()
			return fc.Records >= n
		})
		c.stop(30 * time.Second)
		parse()
		require.Zero(t, fc.BadN, "OTLP/JSON lines pdata cannot decode: %v", fc.Bad)
		assert.Equal(t, n, fc.Records)
		for i := range int64(n) {
			if fc.Seqs[i] != 1 {
				t.Fatalf("record %d printed %d times", i, fc.Seqs[i])
			}
		}
		assert.Empty(t, c.stdout(), "nothing on stdout")
	})
}
