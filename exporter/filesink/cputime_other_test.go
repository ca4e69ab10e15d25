//go:build !unix

package filesink

import "time"

// cpuTime is not available on this platform; benchmarks then report 0.
func cpuTime() time.Duration { return 0 }
