//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the whole suite, never skips it, when the binaries under
// test are not given, and checks that no goroutine outlives the tests.
func TestMain(m *testing.M) {
	for _, env := range []string{"OTELCOL_BIN", "TELEMETRYGEN_BIN"} {
		if os.Getenv(env) == "" {
			fmt.Fprintf(os.Stderr, "FAIL: %s is not set: run the e2e suite with `make e2e`, or set OTELCOL_BIN and TELEMETRYGEN_BIN to the binaries' paths\n", env)
			os.Exit(1)
		}
	}
	goleak.VerifyTestMain(m)
}
