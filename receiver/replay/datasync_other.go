//go:build !linux

package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import "os"

// datasync flushes f (fsync where fdatasync is not available).
func datasync(f *os.File) error { return f.Sync() }
