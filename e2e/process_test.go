//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/stretchr/testify/require"
)

// signal sends sig to the running collector.
func (c *collector) signal(sig syscall.Signal) {
	c.t.Helper()
	require.NoError(c.t, c.proc.cmd.Process.Signal(sig), "%s: signal %s", c.name, sig)
}

// waitExit waits up to timeout for the collector to exit and returns when it
// exited and its exit error.
func (c *collector) waitExit(timeout time.Duration) (time.Time, error) {
	c.t.Helper()
	select {
	case <-c.proc.done:
		return c.proc.exitAt, c.proc.err
	case <-time.After(timeout):
		c.t.Fatalf("%s did not exit within %s", c.name, timeout)
		return time.Time{}, nil
	}
}

// stop sends SIGTERM and waits for the exit.
func (c *collector) stop(timeout time.Duration) {
	c.t.Helper()
	c.signal(syscall.SIGTERM)
	_, err := c.waitExit(timeout)
	require.NoError(c.t, err, "%s: exit status after SIGTERM", c.name)
}

// kill sends SIGKILL and waits for the exit.
func (c *collector) kill() {
	c.t.Helper()
	c.signal(syscall.SIGKILL)
	_, _ = c.waitExit(30 * time.Second)
}

// logs returns the standard error (the collector's own log) of the current run.
func (c *collector) logs() string {
	b, err := os.ReadFile(c.proc.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// stdout returns the standard output of the current run.
func (c *collector) stdout() []byte {
	c.t.Helper()
	b, err := os.ReadFile(strings.TrimSuffix(c.proc.logPath, ".log") + ".stdout")
	require.NoError(c.t, err)
	return b
}

// dumpLogs prints the tail of every run's output, for failed tests.
func (c *collector) dumpLogs() {
	for i := 1; i <= c.runs; i++ {
		path := filepath.Join(c.dir, fmt.Sprintf("%s-run%d.log", c.name, i))
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 80 {
			lines = append([]string{fmt.Sprintf("... (%d lines cut)", len(lines)-80)}, lines[len(lines)-80:]...)
		}
		c.t.Logf("==== %s run %d stderr (%s) ====\n%s", c.name, i, path, strings.Join(lines, "\n"))
		if out, err := os.ReadFile(strings.TrimSuffix(path, ".log") + ".stdout"); err == nil && len(out) > 0 {
			c.t.Logf("==== %s run %d stdout, last lines ====\n%s", c.name, i, tail(string(out), 10))
		}
	}
}
