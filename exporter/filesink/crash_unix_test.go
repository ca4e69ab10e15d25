//go:build unix

package filesink

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestSIGKILLMidWriteLeavesReadableFile(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		t.Run(string(format), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs.out")
			for round := range 2 { // kill, restart (repair), kill again
				before := fileSize(path)
				cmd := helperCmd(t, helperWriteLoop, path, format)
				require.NoError(t, cmd.Start())
				pid := cmd.Process.Pid
				grown := assert.Eventually(t, func() bool { return fileSize(path) > before+2<<20 },
					60*time.Second, time.Millisecond, "child %d never wrote", pid)
				require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
				err := cmd.Wait()
				var exitErr *exec.ExitError
				require.ErrorAs(t, err, &exitErr, "round %d", round)
				require.True(t, grown)
				ws, ok := exitErr.Sys().(syscall.WaitStatus)
				require.True(t, ok)
				require.Equal(t, syscall.SIGKILL, ws.Signal(), "child must die by SIGKILL, not exit")

				// Restart: repair, then append one more record.
				w, err := openWriter(writerSettings{path: path, format: format, durability: DurabilityFlushed, mode: 0o600},
					defaultFileSystem(), zap.NewNop(), nil)
				require.NoError(t, err)
				last := logsRecord(t, format, 3)
				require.NoError(t, w.write(context.Background(), last, nil))
				require.NoError(t, w.close(context.Background(), nil))

				all := decodeLogsFile(t, path, format)
				require.NotEmpty(t, all)
				for _, ld := range all {
					n := ld.LogRecordCount()
					assert.Contains(t, []int{1, 3, 50, 2000}, n, "every record decodes whole")
				}
				assert.Equal(t, 3, all[len(all)-1].LogRecordCount(), "the record written after restart is last")
			}
		})
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
