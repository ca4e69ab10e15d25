package filesink

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncRecorder records the folders fsynced, with a snapshot taken by probe.
type syncRecorder struct {
	mu    sync.Mutex
	dirs  []string
	notes []string
	probe func(dir string) string
}

func (r *syncRecorder) syncDir(dir string) error {
	r.mu.Lock()
	r.dirs = append(r.dirs, dir)
	if r.probe != nil {
		r.notes = append(r.notes, r.probe(dir))
	}
	r.mu.Unlock()
	return syncDir(dir)
}

// TestCompressedBackupRenameIsSynced: the folder is fsynced after the
// compressed backup is renamed into place and before the uncompressed one
// is removed; otherwise a power loss could keep the removal and lose the
// rename, and with it both copies.
func TestCompressedBackupRenameIsSynced(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl")
	rec := logsRecord(t, FormatJSON, 2)
	require.NoError(t, os.WriteFile(src, rec, 0o600))
	rs := &syncRecorder{probe: func(string) string {
		if exists(src+".gz") && exists(src) {
			return "compressed, source kept"
		}
		return ""
	}}
	fs := defaultFileSystem()
	fs.syncDir = rs.syncDir
	w := testWriter(t, writerSettings{path: filepath.Join(dir, "logs.jsonl"),
		rotation: &RotationConfig{MaxMegabytes: 1, Compression: CompressionGzip}}, fs)
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, rec, readBackup(t, src+".gz"))
	assert.False(t, exists(src))
	assert.Contains(t, rs.notes, "compressed, source kept", "folder fsynced between the rename and the removal")
}

// TestLeftoverTmpWithoutSourceIsRestored: a .tmp whose source is gone may
// be the only copy (the source's removal reached the disk, the rename did
// not): it is renamed into place, not deleted.
func TestLeftoverTmpWithoutSourceIsRestored(t *testing.T) {
	dir := t.TempDir()
	rec := logsRecord(t, FormatJSON, 2)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(rec)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	name := filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl.gz")
	require.NoError(t, os.WriteFile(name+".tmp", gz.Bytes(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logs-2026-01-02T00-00-00.000.jsonl.gz.tmp"), []byte("not gzip"), 0o600))
	w := rotatingWriter(t, dir, FormatJSON, RotationConfig{MaxMegabytes: 1, Compression: CompressionGzip}, newFakeClock())
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, []string{"logs-2026-01-01T00-00-00.000.jsonl.gz", "logs-2026-01-02T00-00-00.000.jsonl.gz.tmp"}, backups(t, dir),
		"a whole archive is restored; a broken one without a source is kept for a human")
	assert.Equal(t, rec, readBackup(t, name))
}

// TestNewFoldersAreSynced: with synced, each folder created for the path is
// fsynced into its parent, not only the file into its folder.
func TestNewFoldersAreSynced(t *testing.T) {
	dir := t.TempDir()
	rs := &syncRecorder{}
	fs := defaultFileSystem()
	fs.syncDir = rs.syncDir
	path := filepath.Join(dir, "a", "b", "logs.jsonl")
	testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
	for _, d := range []string{dir, filepath.Join(dir, "a"), filepath.Join(dir, "a", "b")} {
		assert.Contains(t, rs.dirs, d)
	}
}

// TestFailedFsyncMovesToANewFile: after a failed fsync the state of the
// file's pages is unknown (a later fsync may succeed without them), so the
// writer rotates to a new file before the next write, with or without a
// rotation block.
func TestFailedFsyncMovesToANewFile(t *testing.T) {
	for _, rot := range []*RotationConfig{nil, {MaxMegabytes: 100, Compression: CompressionNone}} {
		t.Run("rotation "+map[bool]string{true: "off", false: "on"}[rot == nil], func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "logs.jsonl")
			var ff *faultFile
			fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
			fs.now = newFakeClock().Now
			w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced, rotation: rot}, fs)
			ctx := context.Background()
			rec1, rec2 := logsRecord(t, FormatJSON, 1), logsRecord(t, FormatJSON, 2)
			ff.failSyncs.Store(1)
			require.ErrorIs(t, w.write(ctx, rec1, nil), syscall.EIO)
			require.NoError(t, w.write(ctx, rec2, nil))
			require.NoError(t, w.close(ctx, nil))
			assert.Equal(t, rec2, mustRead(t, path), "the write after the failure went to a new file")
			assert.Equal(t, []string{"logs-2026-11-26T22-30-00.000.jsonl"}, backups(t, dir))
			assert.Equal(t, rec1, mustRead(t, filepath.Join(dir, "logs-2026-11-26T22-30-00.000.jsonl")))
		})
	}
}
