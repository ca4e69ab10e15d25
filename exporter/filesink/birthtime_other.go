//go:build !linux && !darwin && !freebsd && !netbsd && !windows

package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import "time"

// birthTime is unknown on this platform: the age of a file found at start
// counts from the start.
func birthTime(string) (time.Time, bool) { return time.Time{}, false }
