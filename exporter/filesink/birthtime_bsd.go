//go:build darwin || freebsd || netbsd

package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"os"
	"syscall"
	"time"
)

// birthTime is when the file at path was created (stat's st_birthtimespec,
// reported by APFS, HFS+ and UFS2); ok is false if it is unknown.
func birthTime(path string) (t time.Time, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false
	}
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat || (st.Birthtimespec.Sec == 0 && st.Birthtimespec.Nsec == 0) {
		return time.Time{}, false
	}
	return time.Unix(int64(st.Birthtimespec.Sec), int64(st.Birthtimespec.Nsec)), true //nolint:unconvert // int32 on some BSDs
}
