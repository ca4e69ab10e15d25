package otlpfile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/resilientsink/resilientsink/exporter/filesink"
	"github.com/resilientsink/resilientsink/internal/otlpfile"
)

// What the filesink exporter writes, in each format and each backup
// compression, reads back to pdata-equal batches, in order, across its
// rotated backups and the active file.
func TestReadsFilesinkOutput(t *testing.T) {
	for _, format := range []filesink.Format{filesink.FormatJSON, filesink.FormatProto} {
		for _, comp := range []filesink.Compression{filesink.CompressionGzip, filesink.CompressionZstd} {
			t.Run(fmt.Sprintf("%s/%s", format, comp), func(t *testing.T) {
				dir := t.TempDir()
				f := filesink.NewFactory()
				cfg := f.CreateDefaultConfig().(*filesink.Config)
				cfg.Path = filepath.Join(dir, "{signal}.out")
				cfg.Format = format
				cfg.Rotation = configoptional.Some(filesink.RotationConfig{MaxMegabytes: 1, Compression: comp})
				exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
				require.NoError(t, err)
				require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
				var want [][]byte
				for i := range 12 {
					ld := bigBatch(i)
					b, merr := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
					require.NoError(t, merr)
					want = append(want, b)
					require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
				}
				require.NoError(t, exp.Shutdown(context.Background()))

				backups, err := filepath.Glob(filepath.Join(dir, "logs-*"))
				require.NoError(t, err)
				require.GreaterOrEqual(t, len(backups), 2, "the test must rotate")
				var got [][]byte
				for _, path := range append(backups, filepath.Join(dir, "logs.out")) {
					if strings.HasSuffix(path, ".tmp") {
						continue
					}
					if path != filepath.Join(dir, "logs.out") {
						assert.Equal(t, string(comp), string(compressionOf(t, path)), "%s is a compressed backup", path)
					}
					got = append(got, readLogs(t, path)...)
				}
				assert.Equal(t, want, got)
			})
		}
	}
}

func bigBatch(i int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for j := range 2000 {
		lr := lrs.AppendEmpty()
		lr.Body().SetStr(fmt.Sprintf("batch %d record %d %s", i, j, strings.Repeat("x", 60)))
		lr.Attributes().PutInt("j", int64(j))
	}
	return ld
}

// readLogs reads a file with otlpfile and re-encodes each record as proto.
func readLogs(t *testing.T, path string) [][]byte {
	t.Helper()
	r, err := otlpfile.Open(path)
	require.NoError(t, err)
	defer r.Close()
	var out [][]byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, path)
		var ld plog.Logs
		if r.Format() == otlpfile.FormatJSON {
			ld, err = (&plog.JSONUnmarshaler{}).UnmarshalLogs(rec)
		} else {
			ld, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(rec)
		}
		require.NoError(t, err)
		b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		require.NoError(t, err)
		out = append(out, b)
	}
}

func compressionOf(t *testing.T, path string) otlpfile.Compression {
	t.Helper()
	r, err := otlpfile.Open(path)
	require.NoError(t, err)
	defer r.Close()
	return r.Compression()
}
