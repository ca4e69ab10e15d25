//go:build !unix

package otlpjson

import "time"

// processCPUTime is not available on this platform; benchmarks then report a
// CPU time of 0.
func processCPUTime() time.Duration { return 0 }
