//go:build unix

package otlpjson

import (
	"syscall"
	"time"
)

// processCPUTime returns the user plus system CPU time the process has used.
// Benchmarks report it next to wall time because on a shared, overloaded
// machine wall time mostly measures waiting for a core.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
