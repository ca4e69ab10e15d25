package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"time"

	"golang.org/x/sys/unix"
)

// birthTime is when the file at path was created, if the filesystem tells
// (statx btime, Linux 4.11+ on ext4, xfs, btrfs, tmpfs...); otherwise ok is false.
func birthTime(path string) (t time.Time, ok bool) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &st); err != nil {
		return time.Time{}, false
	}
	if st.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, false
	}
	return time.Unix(st.Btime.Sec, int64(st.Btime.Nsec)), true
}
