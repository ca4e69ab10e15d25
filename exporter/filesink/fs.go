package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"io"
	"os"
	"time"
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
}

// fileSystem opens files and tells the time; tests replace parts of it.
type fileSystem struct {
	// openFile opens the active file (O_APPEND|O_CREATE|O_WRONLY plus read for repair).
	openFile func(name string, flag int, perm os.FileMode) (file, error)
	// now is the clock for age rotation and backup names.
	now func() time.Time
	// rename renames the active file to a backup at rotation.
	rename func(oldpath, newpath string) error
	// syncDir fsyncs a folder (see syncDir).
	syncDir func(dir string) error
}

func defaultFileSystem() fileSystem {
	return fileSystem{openFile: osOpenFile, now: time.Now, rename: os.Rename, syncDir: syncDir}
}
