package filesink

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// rawExporter builds a logs fileExporter whose file system tests can replace.
func rawExporter(t *testing.T, cfg *Config, fs fileSystem) *fileExporter {
	t.Helper()
	e, err := newFileExporter(cfg, exportertest.NewNopSettings(metadata.Type), "logs")
	require.NoError(t, err)
	e.fs = fs
	return e
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	failOpen := func(err error) fileSystem {
		fs := defaultFileSystem()
		fs.openFile = func(string, int, os.FileMode) (file, error) { return nil, err }
		return fs
	}
	tests := []struct {
		name    string
		path    string
		fs      fileSystem
		wantErr string
		is      error
	}{
		{
			name: "parent is a file", path: filepath.Join(notADir, "{signal}.jsonl"), fs: defaultFileSystem(),
			wantErr: `create folder of "` + filepath.Join(notADir, "logs.jsonl") + `": mkdir ` + notADir + `: not a directory`,
			is:      syscall.ENOTDIR,
		},
		{
			name: "unwritable folder", path: filepath.Join(dir, "{signal}.jsonl"), fs: failOpen(&os.PathError{Op: "open", Path: filepath.Join(dir, "logs.jsonl"), Err: syscall.EACCES}),
			wantErr: `open "` + filepath.Join(dir, "logs.jsonl") + `": open ` + filepath.Join(dir, "logs.jsonl") + `: permission denied`,
			is:      syscall.EACCES,
		},
		{
			name: "read-only file system", path: filepath.Join(dir, "{signal}.jsonl"), fs: failOpen(&os.PathError{Op: "open", Path: filepath.Join(dir, "logs.jsonl"), Err: syscall.EROFS}),
			wantErr: `open "` + filepath.Join(dir, "logs.jsonl") + `": open ` + filepath.Join(dir, "logs.jsonl") + `: read-only file system`,
			is:      syscall.EROFS,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTestConfig(dir)
			cfg.Path = tt.path
			e := rawExporter(t, cfg, tt.fs)
			err := e.start(context.Background(), componenttest.NewNopHost())
			require.EqualError(t, err, tt.wantErr)
			require.ErrorIs(t, err, tt.is)
			require.NoError(t, e.stop(context.Background()))
		})
	}
}

func TestReadOnlyFileOnRealFileSystem(t *testing.T) {
	// A file opened without write access fails every write; the error is retryable and nothing is torn.
	dir := t.TempDir()
	fs := defaultFileSystem()
	fs.openFile = func(name string, flag int, perm os.FileMode) (file, error) {
		return osOpenFile(name, (flag&^(os.O_RDWR|os.O_WRONLY))|os.O_RDONLY, perm)
	}
	e := rawExporter(t, newTestConfig(dir), fs)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	err := e.pushLogs(context.Background(), otlpfixtures.TelemetrygenLogs(2))
	require.ErrorIs(t, err, syscall.EBADF)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), `write "`+filepath.Join(dir, "logs.jsonl")+`"`)
	require.NoError(t, e.stop(context.Background()))
	assert.Empty(t, mustRead(t, filepath.Join(dir, "logs.jsonl")))
}

func TestDiskFullThroughExporter(t *testing.T) {
	dir := t.TempDir()
	var ff *faultFile
	e := rawExporter(t, newTestConfig(dir), faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil))
	ctx := context.Background()
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(2)))
	ff.setFailWrite(halfWrite(syscall.ENOSPC))
	err := e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(5))
	require.EqualError(t, err, `write "`+filepath.Join(dir, "logs.jsonl")+`": no space left on device`)
	assert.False(t, consumererror.IsPermanent(err), "resilientsink retries and its breaker sees it")
	ff.setFailWrite(nil)
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(3)))
	require.NoError(t, e.stop(ctx))
	var counts []int
	for _, ld := range decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), FormatJSON) {
		counts = append(counts, ld.LogRecordCount())
	}
	assert.Equal(t, []int{2, 3}, counts)
}

func TestBadFileModeAtStartDoesNotPanic(t *testing.T) {
	cfg := newTestConfig(t.TempDir())
	cfg.FileMode = "bogus" // Validate would refuse this; Start must too, without panicking
	e := rawExporter(t, cfg, defaultFileSystem())
	require.EqualError(t, e.start(context.Background(), componenttest.NewNopHost()),
		`file_mode must be an octal permission from 0000 to 0777, got "bogus"`)
	require.NoError(t, e.stop(context.Background()))
}

func TestSyncDir(t *testing.T) {
	require.NoError(t, syncDir(t.TempDir()))
	missing := filepath.Join(t.TempDir(), "gone")
	require.EqualError(t, syncDir(missing), `open folder "`+missing+`": open `+missing+`: no such file or directory`)
}
