//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTelemetrygen runs `telemetrygen <args>` to completion (bounded to two
// minutes), failing the test with its output when it fails.
func runTelemetrygen(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, telemetrygenBin(t), args...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil || ctx.Err() != nil {
		t.Fatalf("telemetrygen %s: %v (context: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), tail(string(out), 40))
	}
	path := filepath.Join(t.TempDir(), "telemetrygen.log")
	_ = os.WriteFile(path, out, 0o600)
	t.Logf("telemetrygen %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
