package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// file is the part of *os.File the writer uses. Tests wrap it to inject
// faults (a write failing half way, ENOSPC, a slow or counting Sync).
type file interface {
	io.Writer
	io.ReaderAt
	Sync() error
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
	Close() error
	// Fd is used for the advisory lock only.
	Fd() uintptr
}

// fileSystem opens files and tells the time; tests replace parts of it.
type fileSystem struct {
	// openFile opens the active file (O_APPEND|O_CREATE|O_WRONLY plus read for repair).
	openFile func(name string, flag int, perm os.FileMode) (file, error)
	// now is the clock for age rotation and backup names.
	now func() time.Time
}

func osOpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func defaultFileSystem() fileSystem {
	return fileSystem{openFile: osOpenFile, now: time.Now}
}

// errLocked is returned when another process holds the lock of the active file.
var errLocked = errors.New("locked by another process")

// lockFile takes an exclusive, non-blocking advisory lock on f.
func lockFile(f file, path string) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("lock %q: %w (another collector writes this file; give each process its own path)", path, errLocked)
	}
	if err != nil {
		return fmt.Errorf("lock %q: %w", path, err)
	}
	return nil
}

// birthTime is when the file at path was created, if the filesystem tells
// (statx btime); otherwise ok is false.
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

// syncDir fsyncs a folder, making the names created or renamed in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync folder %q: %w", dir, err)
	}
	return nil
}
