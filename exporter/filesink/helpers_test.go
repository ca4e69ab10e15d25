package filesink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

// newTestConfig returns a valid config writing to dir/{signal}.jsonl.
func newTestConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Path = dir + "/{signal}.jsonl"
	return cfg
}

// startLogs creates and starts a logs exporter; it is shut down at cleanup.
func startLogs(t *testing.T, cfg *Config) exporter.Logs {
	t.Helper()
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// testWriter opens a writer directly, with an injectable file system.
func testWriter(t *testing.T, set writerSettings, fs fileSystem) *writer {
	t.Helper()
	if set.format == "" {
		set.format = FormatJSON
	}
	if set.durability == "" {
		set.durability = DurabilityFlushed
	}
	if set.mode == 0 {
		set.mode = 0o640
	}
	if fs.openFile == nil {
		fs.openFile = osOpenFile
	}
	if fs.now == nil {
		fs.now = defaultFileSystem().now
	}
	if fs.rename == nil {
		fs.rename = os.Rename
	}
	if fs.syncDir == nil {
		fs.syncDir = syncDir
	}
	w, err := openWriter(set, fs, zap.NewNop(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.close(context.Background(), nil) })
	return w
}

// readJSONLines returns the lines of a JSON file, requiring a final newline.
func readJSONLines(t *testing.T, data []byte) [][]byte {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	require.Equal(t, byte('\n'), data[len(data)-1], "file must end with a newline")
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return lines
}

// readFrames splits a proto file into frames, requiring that none is torn.
func readFrames(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var frames [][]byte
	for len(data) > 0 {
		require.GreaterOrEqual(t, len(data), 4, "torn frame header")
		n := int(binary.BigEndian.Uint32(data))
		require.GreaterOrEqual(t, len(data)-4, n, "torn frame body")
		frames = append(frames, data[4:4+n])
		data = data[4+n:]
	}
	return frames
}

// decodeLogsFile decodes every record of a logs file.
func decodeLogsFile(t *testing.T, path string, f Format) []plog.Logs {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []plog.Logs
	if f == FormatProto {
		for _, fr := range readFrames(t, data) {
			ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(fr)
			require.NoError(t, err)
			out = append(out, ld)
		}
		return out
	}
	for _, line := range readJSONLines(t, data) {
		ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
		require.NoError(t, err)
		out = append(out, ld)
	}
	return out
}

// faultFile wraps a real file and injects faults.
type faultFile struct {
	*os.File
	mu sync.Mutex
	// failWrite, when set, is called for each write; a non-nil error makes the
	// write put only the first keep bytes of p on disk and return that error.
	failWrite func(p []byte) (keep int, err error)
	// failTruncate makes Truncate fail.
	failTruncate error
	syncs        atomic.Int64
	// syncGate, when set, blocks Sync until it can receive.
	syncGate chan struct{}
	// syncStarted, when set, gets a value each time Sync starts.
	syncStarted chan struct{}
	syncErr     error
	// failSyncs is how many of the next Syncs fail with EIO.
	failSyncs atomic.Int64
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	fail := f.failWrite
	f.mu.Unlock()
	if fail != nil {
		if keep, err := fail(p); err != nil {
			n, _ := f.File.Write(p[:keep])
			return n, err
		}
	}
	return f.File.Write(p)
}

func (f *faultFile) Truncate(size int64) error {
	f.mu.Lock()
	err := f.failTruncate
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *faultFile) Sync() error {
	if f.syncStarted != nil {
		f.syncStarted <- struct{}{}
	}
	if f.syncGate != nil {
		<-f.syncGate
	}
	f.syncs.Add(1)
	if f.syncErr != nil {
		return f.syncErr
	}
	if f.failSyncs.Add(-1) >= 0 {
		return syscall.EIO
	}
	return f.File.Sync()
}

func (f *faultFile) setFailWrite(fn func(p []byte) (int, error)) {
	f.mu.Lock()
	f.failWrite = fn
	f.mu.Unlock()
}

// faultFS returns a file system whose files are faultFiles built by mk; the
// opened files are sent to opened when it is not nil.
func faultFS(mk func() *faultFile, opened *[]*faultFile, mu *sync.Mutex) fileSystem {
	fs := defaultFileSystem()
	fs.openFile = func(name string, flag int, perm os.FileMode) (file, error) {
		of, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		ff := mk()
		ff.File = of
		if opened != nil {
			mu.Lock()
			*opened = append(*opened, ff)
			mu.Unlock()
		}
		return ff, nil
	}
	return fs
}

var _ io.ReaderAt = (*faultFile)(nil)

// halfWrite fails every write with err after half of it reached the file.
func halfWrite(err error) func([]byte) (int, error) {
	return func(p []byte) (int, error) { return len(p) / 2, err }
}

// noWrite fails every write with err before any byte reached the file.
func noWrite(err error) func([]byte) (int, error) {
	return func([]byte) (int, error) { return 0, err }
}
