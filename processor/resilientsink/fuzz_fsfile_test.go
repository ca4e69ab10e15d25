// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// memFile is an open file of a memView. Writes append (the spool opens every
// file it writes with O_APPEND).
type memFile struct {
	v      *memView
	ino    *memInode
	name   string
	flag   int
	closed bool
}

var _ spool.File = (*memFile)(nil)

// errWriteMode is returned for a write to a file not opened for appending.
var errWriteMode = errors.New("memfs: only appending writes are modelled")

// begin takes d.mu and checks the file and its view.
func (f *memFile) begin(op string) error {
	f.v.d.mu.Lock()
	switch {
	case f.v.dead:
		return &fs.PathError{Op: op, Path: f.name, Err: errDead}
	case f.closed:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	return nil
}

func (f *memFile) Write(p []byte) (int, error) {
	defer f.v.d.mu.Unlock()
	if err := f.begin("write"); err != nil {
		return 0, err
	}
	if f.flag&os.O_APPEND == 0 || f.flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: errWriteMode}
	}
	if ft, ok := f.v.d.hitLocked(memWrite, f.name); ok {
		n := 0
		if ft.short {
			n = len(p) / 2
			f.ino.cache = append(f.ino.cache, p[:n]...)
		}
		return n, &fs.PathError{Op: "write", Path: f.name, Err: ft.err}
	}
	f.ino.cache = append(f.ino.cache, p...)
	return len(p), nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	defer f.v.d.mu.Unlock()
	if err := f.begin("read"); err != nil {
		return 0, err
	}
	if _, ok := f.v.d.hitLocked(memRead, f.name); ok || f.ino.unreadable {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: syscall.EIO}
	}
	if off >= int64(len(f.ino.cache)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.cache[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Sync makes the page-cache image durable; a failed fsync leaves the durable
// image as it was (and the page cache too).
func (f *memFile) Sync() error {
	defer f.v.d.mu.Unlock()
	if err := f.begin("fsync"); err != nil {
		return err
	}
	if ft, ok := f.v.d.hitLocked(memSync, f.name); ok {
		return &fs.PathError{Op: "fsync", Path: f.name, Err: ft.err}
	}
	f.ino.durable = slices.Clone(f.ino.cache)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	defer f.v.d.mu.Unlock()
	if err := f.begin("truncate"); err != nil {
		return err
	}
	if ft, ok := f.v.d.hitLocked(memTruncate, f.name); ok {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: ft.err}
	}
	if size < int64(len(f.ino.cache)) {
		f.ino.cache = f.ino.cache[:size:size]
	} else {
		f.ino.cache = append(f.ino.cache, make([]byte, size-int64(len(f.ino.cache)))...)
	}
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	defer f.v.d.mu.Unlock()
	if err := f.begin("stat"); err != nil {
		return nil, err
	}
	return memEntry{name: filepath.Base(f.name), size: int64(len(f.ino.cache))}, nil
}

// Close closes the file; closing a file of a killed view succeeds (the
// kernel closes a dead process's files).
func (f *memFile) Close() error {
	f.v.d.mu.Lock()
	defer f.v.d.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}

// memEntry is both the fs.DirEntry and the fs.FileInfo of memDisk.
type memEntry struct {
	name string
	size int64
	dir  bool
}

func (e memEntry) Name() string { return e.name }
func (e memEntry) IsDir() bool  { return e.dir }
func (e memEntry) Type() fs.FileMode {
	if e.dir {
		return fs.ModeDir
	}
	return 0
}
func (e memEntry) Info() (fs.FileInfo, error) { return e, nil }
func (e memEntry) Size() int64                { return e.size }
func (e memEntry) Mode() fs.FileMode          { return e.Type() | 0o600 }
func (memEntry) ModTime() time.Time           { return time.Time{} }
func (memEntry) Sys() any                     { return nil }
