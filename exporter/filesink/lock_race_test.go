package filesink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// TestRotationRenameRaceWithSecondProcess: while this process rotates (its
// active file renamed to a backup, the new one not yet opened), a second
// process tries to open the same path. It must get the lock error: the lock
// is on something rotation does not rename. With the lock on the active file
// itself, the second process created a new file at the path, locked it and
// wrote, while this one went on believing it owned the path.
func TestRotationRenameRaceWithSecondProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs.jsonl")
	var childOut []string
	fs := defaultFileSystem()
	fs.rename = func(oldpath, newpath string) error {
		if err := os.Rename(oldpath, newpath); err != nil {
			return err
		}
		out, err := helperCmd(t, helperTryOpen, path, FormatJSON).Output()
		if err != nil {
			return err
		}
		childOut = append(childOut, firstLine(string(out)))
		return nil
	}
	rec := logsRecord(t, FormatJSON, 1)
	rot := &RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}
	w := testWriter(t, writerSettings{path: path, rotation: rot}, fs)
	ctx := context.Background()
	require.NoError(t, w.write(ctx, rec, nil))
	w.mu.Lock()
	err := w.rotateLocked(ctx, nil)
	w.mu.Unlock()
	require.NoError(t, err)
	require.NoError(t, w.write(ctx, rec, nil))
	require.Len(t, childOut, 1)
	assert.True(t, strings.HasPrefix(childOut[0], `lock "`+path+`.lock": locked by another process`),
		"the second process must be refused during the rotation, got %q", childOut[0])
	require.NoError(t, w.close(ctx, nil))
	assert.Equal(t, rec, mustRead(t, path), "the new active file holds only this process's record")
}

// TestLockFileStaysAfterClose: the lock file is never deleted (deleting it
// would let two processes lock two different files of the same name).
func TestLockFileStaysAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	w := testWriter(t, writerSettings{path: path}, fileSystem{})
	require.NoError(t, w.close(context.Background(), nil))
	_, err := os.Stat(path + ".lock")
	require.NoError(t, err)
	w2, err := openWriter(writerSettings{path: path, format: FormatJSON, durability: DurabilityFlushed, mode: 0o600},
		defaultFileSystem(), zap.NewNop(), nil)
	require.NoError(t, err, "a closed writer's lock is free again")
	require.NoError(t, w2.close(context.Background(), nil))
}
