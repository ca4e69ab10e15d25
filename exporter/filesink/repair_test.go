package filesink

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func logsRecord(t *testing.T, f Format, n int) []byte {
	t.Helper()
	rec, err := appendLogsRecord(nil, f, otlpfixtures.TelemetrygenLogs(n))
	require.NoError(t, err)
	return rec
}

func TestRepairTornTail(t *testing.T) {
	jsonRec := logsRecord(t, FormatJSON, 2)
	protoRec := logsRecord(t, FormatProto, 2)
	tests := []struct {
		name   string
		format Format
		good   []byte
		torn   []byte
	}{
		{name: "json partial line", format: FormatJSON, good: cat(jsonRec, jsonRec), torn: jsonRec[:len(jsonRec)/2]},
		{name: "json only torn", format: FormatJSON, torn: jsonRec[:10]},
		{name: "json zero-filled tail", format: FormatJSON, good: jsonRec, torn: make([]byte, 4096)},
		{name: "json long torn tail", format: FormatJSON, good: jsonRec, torn: bytesOf('x', 3*repairChunk+17)},
		{name: "proto partial body", format: FormatProto, good: cat(protoRec, protoRec), torn: protoRec[:len(protoRec)-3]},
		{name: "proto partial header", format: FormatProto, good: protoRec, torn: protoRec[:3]},
		{name: "json line cut before its last brace", format: FormatJSON, good: jsonRec, torn: jsonRec[:len(jsonRec)-2]},
		{name: "proto body cut inside a field header", format: FormatProto, good: protoRec, torn: protoRec[:6]},
		{name: "proto torn frame then zeros", format: FormatProto, good: protoRec, torn: cat(protoRec[:len(protoRec)/2], make([]byte, 100))},
		{name: "proto length past eof", format: FormatProto, good: protoRec, torn: binary.BigEndian.AppendUint32(nil, 1<<30)},
		{name: "proto zero-filled frame after a power loss", format: FormatProto, good: protoRec, torn: cat([]byte{0, 0, 0, 8}, make([]byte, 8))},
		{name: "proto zero-filled tail after a power loss", format: FormatProto, good: cat(protoRec, protoRec), torn: make([]byte, 4096)},
		{name: "proto zero header", format: FormatProto, good: protoRec, torn: make([]byte, 4)},
		{name: "intact json", format: FormatJSON, good: cat(jsonRec, jsonRec)},
		{name: "intact proto", format: FormatProto, good: cat(protoRec, protoRec)},
		{name: "empty", format: FormatProto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs.out")
			require.NoError(t, os.WriteFile(path, cat(tt.good, tt.torn), 0o600))
			core, logs := zapobserver.New(zapcore.WarnLevel)
			w, err := openWriter(writerSettings{path: path, format: tt.format, durability: DurabilityFlushed, mode: 0o600},
				defaultFileSystem(), zap.New(core), nil)
			require.NoError(t, err)
			rec := logsRecord(t, tt.format, 1)
			require.NoError(t, w.write(context.Background(), rec, nil))
			require.NoError(t, w.close(context.Background(), nil))

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, cat(tt.good, rec), data, "torn tail cut back, new record appended")
			if len(tt.torn) == 0 {
				assert.Zero(t, logs.Len(), "nothing to repair, nothing logged")
				return
			}
			require.Equal(t, 1, logs.Len())
			entry := logs.All()[0]
			assert.Equal(t, "Cut a torn record from the end of the file", entry.Message)
			assert.Equal(t, int64(len(tt.torn)), entry.ContextMap()["bytes_removed"])
			assert.Equal(t, path, entry.ContextMap()["path"])
		})
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestFailedWriteIsRolledBack(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		for _, dur := range []Durability{DurabilityFlushed, DurabilitySynced, DurabilityBuffered} {
			t.Run(string(format)+"/"+string(dur), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "logs.out")
				var ff *faultFile
				fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
				w := testWriter(t, writerSettings{path: path, format: format, durability: dur, flushInterval: 1 << 62}, fs)
				rec := logsRecord(t, format, 3)
				ctx := context.Background()
				require.NoError(t, w.write(ctx, rec, nil))
				if dur == DurabilityBuffered {
					w.mu.Lock()
					require.NoError(t, w.flushLocked(context.Background(), nil))
					w.mu.Unlock()
				}

				ff.setFailWrite(halfWrite(syscall.ENOSPC))
				var err error
				if dur == DurabilityBuffered {
					require.NoError(t, w.write(ctx, rec, nil), "buffered: accepted into the buffer")
					w.mu.Lock()
					err = w.flushLocked(context.Background(), nil)
					w.mu.Unlock()
				} else {
					err = w.write(ctx, rec, nil)
				}
				require.ErrorIs(t, err, syscall.ENOSPC)
				assert.False(t, consumererror.IsPermanent(err), "a failed write is retryable")
				assert.Contains(t, err.Error(), "write \""+path+"\"")
				data, rerr := os.ReadFile(path)
				require.NoError(t, rerr)
				assert.Equal(t, rec, data, "the half-written record was cut back")

				ff.setFailWrite(nil)
				if dur != DurabilityBuffered { // buffered keeps the failed record and writes it at close
					require.NoError(t, w.write(ctx, rec, nil))
				}
				require.NoError(t, w.close(ctx, nil))
				data, err = os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, cat(rec, rec), data, "only whole records")
			})
		}
	}
}

func TestFailedRollbackIsRepairedBeforeNextWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	var ff *faultFile
	fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	w := testWriter(t, writerSettings{path: path}, fs)
	rec := logsRecord(t, FormatJSON, 2)
	ctx := context.Background()
	ff.setFailWrite(halfWrite(syscall.EIO))
	ff.mu.Lock()
	ff.failTruncate = syscall.EROFS
	ff.mu.Unlock()
	err := w.write(ctx, rec, nil)
	require.ErrorIs(t, err, syscall.EIO)
	require.ErrorIs(t, err, syscall.EROFS)

	// The next write still fails while the file cannot be cut back.
	ff.setFailWrite(nil)
	require.ErrorIs(t, w.write(ctx, rec, nil), syscall.EROFS)

	ff.mu.Lock()
	ff.failTruncate = nil
	ff.mu.Unlock()
	require.NoError(t, w.write(ctx, rec, nil))
	require.NoError(t, w.close(ctx, nil))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, rec, data)
}
