package filesink

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// The child process modes of TestHelperProcess, chosen by envHelperMode.
const (
	envHelperMode   = "FILESINK_HELPER_MODE"
	envHelperPath   = "FILESINK_HELPER_PATH"
	envHelperFormat = "FILESINK_HELPER_FORMAT"
	helperWriteLoop = "write-loop" // write records until killed
	helperTryOpen   = "try-open"   // open the file and print the error
)

// TestHelperProcess is not a test: it is the child process of the crash and
// lock tests, which re-run the test binary with envHelperMode set.
func TestHelperProcess(_ *testing.T) {
	mode := os.Getenv(envHelperMode)
	if mode == "" {
		return
	}
	set := writerSettings{
		path: os.Getenv(envHelperPath), format: Format(os.Getenv(envHelperFormat)),
		durability: DurabilityFlushed, mode: 0o600,
	}
	w, err := openWriter(set, defaultFileSystem(), zap.NewNop(), nil)
	if mode == helperTryOpen {
		if err == nil {
			_ = w.close(context.Background(), nil)
			os.Stdout.WriteString("opened\n")
			return
		}
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(3)
	}
	// Large, varied records make a kill in the middle of a write(2) likely.
	var recs [][]byte
	for _, n := range []int{1, 50, 2000} {
		rec, _ := appendLogsRecord(nil, set.format, otlpfixtures.TelemetrygenLogs(n))
		recs = append(recs, rec)
	}
	for i := 0; ; i++ {
		if err := w.write(context.Background(), recs[i%len(recs)], nil); err != nil {
			os.Exit(4)
		}
	}
}

func helperCmd(t *testing.T, mode, path string, f Format) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelperMode+"="+mode, envHelperPath+"="+path, envHelperFormat+"="+string(f))
	return cmd
}

func TestSecondProcessGetsLockError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	w := testWriter(t, writerSettings{path: path}, fileSystem{})
	out, err := helperCmd(t, helperTryOpen, path, FormatJSON).Output()
	require.NoError(t, err)
	msg := strings.TrimSpace(firstLine(string(out)))
	assert.Equal(t, `lock "`+path+`.lock": locked by another process (another collector writes "`+path+`"; give each process its own path)`, msg)

	require.NoError(t, w.close(context.Background(), nil))
	out, err = helperCmd(t, helperTryOpen, path, FormatJSON).Output()
	require.NoError(t, err)
	assert.Equal(t, "opened", firstLine(string(out)), "the lock is released at close")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestLockErrorIsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	testWriter(t, writerSettings{path: path}, fileSystem{})
	// A second open file description in this process conflicts like another process would.
	_, err := openWriter(writerSettings{path: path, format: FormatJSON, durability: DurabilityFlushed, mode: 0o600},
		defaultFileSystem(), zap.NewNop(), nil)
	require.ErrorIs(t, err, errLocked)
}
