//go:build e2e

package e2e

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signalFiles is what the active file and every backup of one signal hold.
type signalFiles struct {
	fileContent
	Active, Plain, Compressed int // files of each kind
}

// readAllFiles reads the active file <signal><ext> in dir and every backup
// (<signal>-<time><ext>, optionally .gz or .zst) in the given format.
func readAllFiles(t *testing.T, dir, signal, ext, format string) signalFiles {
	t.Helper()
	sf := signalFiles{fileContent: fileContent{Seqs: map[int64]int{}}}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return sf
	}
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == signal+ext:
			sf.Active++
		case strings.HasPrefix(name, signal+"-") && strings.HasSuffix(name, ext):
			sf.Plain++
		case strings.HasPrefix(name, signal+"-") && (strings.HasSuffix(name, ext+".gz") || strings.HasSuffix(name, ext+".zst")):
			sf.Compressed++
		default:
			continue // e.g. a compression in progress (.tmp)
		}
		f, err := os.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue // compressed and removed meanwhile; the next poll sees it
		}
		require.NoError(t, err)
		var r io.Reader = f
		switch {
		case strings.HasSuffix(name, ".gz"):
			zr, zerr := gzip.NewReader(f)
			require.NoError(t, zerr, name)
			r = zr
		case strings.HasSuffix(name, ".zst"):
			zr, zerr := zstd.NewReader(f)
			require.NoError(t, zerr, name)
			defer zr.Close()
			r = zr
		}
		before := sf.Tail
		if format == "proto" {
			err = sf.addProto(r, signal)
		} else {
			err = sf.addJSON(r, signal)
		}
		_ = f.Close()
		require.NoError(t, err, name)
		if name != signal+ext {
			require.Equal(t, before, sf.Tail, "backup %s ends in a torn record", name)
		}
	}
	return sf
}

// TestRotationCompressedBackups: with a 1 MiB rotation size, N logs end up
// split over the active file and compressed backups, and every record is
// there exactly once, in json with gzip and in proto with zstd.
func TestRotationCompressedBackups(t *testing.T) {
	const workers, perWorker = 2, 15000
	for _, tc := range []struct{ format, ext, compression string }{
		{"json", ".jsonl", "gzip"},
		{"proto", ".pb", "zstd"},
	} {
		t.Run(tc.format+"/"+tc.compression, func(t *testing.T) {
			telemetrygenBin(t)
			c := newCollector(t, "collector", fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 10000
exporters:
  filesink:
    path: "@DIR@/out/{signal}%s"
    format: %s
    durability: flushed
    rotation:
      max_megabytes: 1
      max_backups: 0
      compression: %s
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [filesink]
`, tc.ext, tc.format, tc.compression))
			c.start()
			runTelemetrygen(t, "logs", "--otlp-insecure", "--otlp-endpoint", c.grpcEndpoint(),
				"--workers", strconv.Itoa(workers), "--logs", strconv.Itoa(perWorker), "--rate", "0")
			const n = workers * perWorker
			dir := filepath.Join(c.dir, "out")
			eventually(t, 60*time.Second, fmt.Sprintf("%d records over the files", n), func() bool {
				return readAllFiles(t, dir, "logs", tc.ext, tc.format).Records >= n
			})
			c.stop(30 * time.Second)

			sf := readAllFiles(t, dir, "logs", tc.ext, tc.format)
			t.Logf("%s: %d records in %d active, %d plain and %d compressed backups", tc.format, sf.Records, sf.Active, sf.Plain, sf.Compressed)
			require.Zero(t, sf.BadN, "undecodable records: %v", sf.Bad)
			assert.Zero(t, sf.Tail, "torn tail")
			assert.Equal(t, n, sf.Records)
			assert.Equal(t, 1, sf.Active)
			assert.Positive(t, sf.Plain+sf.Compressed, "a 1 MiB limit must rotate")
			assert.Positive(t, sf.Compressed, "backups are compressed with %s", tc.compression)
		})
	}
}
