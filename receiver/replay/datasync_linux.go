//go:build linux

package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data (fdatasync: the checkpoint's size does not
// change, so its inode need not be written again).
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
