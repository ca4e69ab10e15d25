package filesink

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// readBackup returns the decompressed content of a backup.
func readBackup(t *testing.T, path string) []byte {
	t.Helper()
	raw := mustRead(t, path)
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		require.NoError(t, err)
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return out
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(bytes.NewReader(raw))
		require.NoError(t, err)
		defer zr.Close()
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return out
	}
	return raw
}

func TestCompressedBackupsReadable(t *testing.T) {
	for _, c := range []Compression{CompressionGzip, CompressionZstd} {
		for _, format := range []Format{FormatJSON, FormatProto} {
			t.Run(string(c)+"/"+string(format), func(t *testing.T) {
				dir := t.TempDir()
				clk := newFakeClock()
				// Age rotation on every write keeps the data small: compressors are slow under -race.
				w := rotatingWriter(t, dir, format, RotationConfig{MaxAge: time.Millisecond, Compression: c}, clk)
				rec := logsRecord(t, format, 20)
				const n = 6
				for range n {
					require.NoError(t, w.write(context.Background(), rec, nil))
					clk.Advance(time.Millisecond)
				}
				require.NoError(t, w.close(context.Background(), nil))
				suffix := map[Compression]string{CompressionGzip: ".gz", CompressionZstd: ".zst"}[c]
				total := 0
				for _, name := range backups(t, dir) {
					require.True(t, strings.HasSuffix(name, ".jsonl"+suffix), name)
					data := readBackup(t, filepath.Join(dir, name))
					total += countRecords(t, data, format)
				}
				total += countRecords(t, mustRead(t, filepath.Join(dir, "logs.jsonl")), format)
				assert.Equal(t, n, total)
			})
		}
	}
}

func countRecords(t *testing.T, data []byte, format Format) int {
	t.Helper()
	split := readJSONLines
	if format == FormatProto {
		split = readFrames
	}
	recs := split(t, data)
	for _, r := range recs {
		var err error
		if format == FormatProto {
			_, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(r)
		} else {
			_, err = (&plog.JSONUnmarshaler{}).UnmarshalLogs(r)
		}
		require.NoError(t, err)
	}
	return len(recs)
}

func TestLeftoversOfEarlierRunAreCompressed(t *testing.T) {
	dir := t.TempDir()
	rec := logsRecord(t, FormatJSON, 2)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl"), rec, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl.gz.tmp"), []byte("partial"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("keep"), 0o600))
	w := rotatingWriter(t, dir, FormatJSON, RotationConfig{MaxMegabytes: 1, Compression: CompressionGzip}, newFakeClock())
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, []string{"logs-2026-01-01T00-00-00.000.jsonl.gz", "unrelated.txt"}, backups(t, dir))
	assert.Equal(t, rec, readBackup(t, filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl.gz")))
}
