package spool

import (
	"io"
	"io/fs"
	"os"
)

// FS is the file system the spool works on. Settings.FS nil means the real
// one (OSFS); tests substitute a fault-injecting implementation. Every path is
// a full path below Settings.Dir.
type FS interface {
	// MkdirAll creates a folder and its parents, like os.MkdirAll.
	MkdirAll(path string, perm fs.FileMode) error
	// OpenFile opens a file, like os.OpenFile.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// ReadDir lists a folder, like os.ReadDir.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Rename renames a file, like os.Rename.
	Rename(oldpath, newpath string) error
	// Remove deletes a file, like os.Remove.
	Remove(name string) error
	// SyncDir fsyncs a folder, making file creations, renames and removals
	// in it durable.
	SyncDir(name string) error
	// Lock takes an exclusive advisory lock on the file name (created if
	// missing) without waiting; a second Lock of the same file, in this
	// process or another, fails until the returned Closer is closed.
	Lock(name string) (io.Closer, error)
}

// File is the part of *os.File the spool uses.
type File interface {
	io.Writer
	io.ReaderAt
	// Sync is fsync.
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Stat returns the file's size among other things.
	Stat() (fs.FileInfo, error)
	Close() error
}

// OSFS is the real file system. The zero value is ready to use.
type OSFS struct{}

var _ FS = OSFS{}

// MkdirAll calls os.MkdirAll.
func (OSFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// OpenFile calls os.OpenFile.
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ReadDir calls os.ReadDir.
func (OSFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// Rename calls os.Rename.
func (OSFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove calls os.Remove.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// SyncDir opens the folder and fsyncs it.
func (OSFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Lock opens name and takes a non-blocking exclusive flock on it (see
// lock_unix.go). The lock belongs to the open file description, so a second
// Lock in the same process conflicts too.
func (OSFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}
