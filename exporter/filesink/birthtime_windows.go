package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"os"
	"syscall"
	"time"
)

// birthTime is when the file at path was created (its NTFS creation time);
// ok is false if it is unknown.
func birthTime(path string) (t time.Time, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false
	}
	d, isWin := fi.Sys().(*syscall.Win32FileAttributeData)
	if !isWin || d.CreationTime.Nanoseconds() == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, d.CreationTime.Nanoseconds()), true
}
