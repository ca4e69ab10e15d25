//go:build linux

package spool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// deletedOpenFiles lists the files below dir that this process holds open
// although they are deleted (their blocks stay in use).
func deletedOpenFiles(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir) && strings.HasSuffix(target, " (deleted)") {
			out = append(out, target)
		}
	}
	return out
}

// TestDeletedSegmentHandleClosed: once a segment is deleted, no handle of
// the spool keeps it open, also when Next's cursor sat on it and no later
// frame moves the cursor (a full volume would otherwise stay full).
func TestDeletedSegmentHandleClosed(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, MaxBytes: 6 * frameSize(100), SegmentBytes: 100 * frameSize(100)})
	for i := range 5 {
		_, err := s.Append(nil, rec(i, 100))
		require.NoError(t, err)
	}
	for _, f := range drain(t, s) {
		require.NoError(t, s.Ack(f.ID))
	}
	// The budget is short: the fully acked active segment is rolled and deleted.
	_, err := s.Append(nil, rec(5, 100), rec(6, 100))
	require.NoError(t, err)
	require.Empty(t, deletedOpenFiles(t, dir))
}
