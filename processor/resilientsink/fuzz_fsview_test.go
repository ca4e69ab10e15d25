// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// view returns a new view for one life of the processor.
func (d *memDisk) view() *memView { return &memView{d: d} }

// memView is the spool.FS of one life; kill makes it fail every call and
// frees its locks, as the death of the process would.
type memView struct {
	d    *memDisk
	dead bool // guarded by d.mu
}

var _ spool.FS = (*memView)(nil)

// errDead is what a killed view answers.
var errDead = syscall.EIO

func (v *memView) kill() {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	v.dead = true
	for name, owner := range v.d.locks {
		if owner == v {
			delete(v.d.locks, name)
		}
	}
}

// lock takes d.mu and reports whether the view is alive.
func (v *memView) lock() bool {
	v.d.mu.Lock()
	return !v.dead
}

func (v *memView) MkdirAll(path string, _ fs.FileMode) error {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return &fs.PathError{Op: "mkdir", Path: path, Err: errDead}
	}
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if v.d.dirs[p] == nil {
			root := p == filepath.Dir(p)
			v.d.dirs[p] = &memDir{cache: map[string]*memInode{}, durable: map[string]*memInode{}, synced: root || !v.d.strictDirs}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (v *memView) OpenFile(name string, flag int, _ fs.FileMode) (spool.File, error) {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errDead}
	}
	if f, ok := v.d.hitLocked(memOpen, name); ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.err}
	}
	dir := v.d.dirs[filepath.Dir(name)]
	if dir == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	base := filepath.Base(name)
	ino := dir.cache[base]
	switch {
	case ino != nil && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EEXIST}
	case ino == nil && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	case ino == nil:
		ino = &memInode{}
		dir.cache[base] = ino
	}
	if flag&os.O_TRUNC != 0 {
		ino.cache = nil
	}
	return &memFile{v: v, ino: ino, name: name, flag: flag}, nil
}

func (v *memView) ReadDir(name string) ([]fs.DirEntry, error) {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errDead}
	}
	name = filepath.Clean(name)
	dir := v.d.dirs[name]
	if dir == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOENT}
	}
	var out []fs.DirEntry
	for n, ino := range dir.cache {
		out = append(out, memEntry{name: n, size: int64(len(ino.cache))})
	}
	for p := range v.d.dirs {
		if p != name && filepath.Dir(p) == name {
			out = append(out, memEntry{name: filepath.Base(p), dir: true})
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (v *memView) Rename(oldpath, newpath string) error {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: errDead}
	}
	if f, ok := v.d.hitLocked(memRename, oldpath); ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: f.err}
	}
	from, to := v.d.dirs[filepath.Dir(oldpath)], v.d.dirs[filepath.Dir(newpath)]
	if from == nil || to == nil || from.cache[filepath.Base(oldpath)] == nil {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: syscall.ENOENT}
	}
	to.cache[filepath.Base(newpath)] = from.cache[filepath.Base(oldpath)]
	delete(from.cache, filepath.Base(oldpath))
	return nil
}

func (v *memView) Remove(name string) error {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return &fs.PathError{Op: "remove", Path: name, Err: errDead}
	}
	if f, ok := v.d.hitLocked(memRemove, name); ok {
		return &fs.PathError{Op: "remove", Path: name, Err: f.err}
	}
	dir := v.d.dirs[filepath.Dir(name)]
	if dir == nil || dir.cache[filepath.Base(name)] == nil {
		return &fs.PathError{Op: "remove", Path: name, Err: syscall.ENOENT}
	}
	delete(dir.cache, filepath.Base(name))
	return nil
}

func (v *memView) SyncDir(name string) error {
	defer v.d.mu.Unlock()
	if !v.lock() {
		return &fs.PathError{Op: "fsync", Path: name, Err: errDead}
	}
	if f, ok := v.d.hitLocked(memSyncDir, name); ok {
		return &fs.PathError{Op: "fsync", Path: name, Err: f.err}
	}
	dir := v.d.dirs[filepath.Clean(name)]
	if dir == nil {
		return &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	dir.durable = maps.Clone(dir.cache)
	for p, sub := range v.d.dirs {
		if p != filepath.Clean(name) && filepath.Dir(p) == filepath.Clean(name) {
			sub.synced = true
		}
	}
	return nil
}

func (v *memView) Lock(name string) (io.Closer, error) {
	f, err := v.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	_ = f.Close()
	defer v.d.mu.Unlock()
	if !v.lock() {
		return nil, &fs.PathError{Op: "flock", Path: name, Err: errDead}
	}
	if v.d.locks[name] != nil {
		return nil, spool.ErrLocked
	}
	v.d.locks[name] = v
	return &memLock{v: v, name: name}, nil
}

type memLock struct {
	v    *memView
	name string
	once sync.Once
}

func (l *memLock) Close() error {
	l.once.Do(func() {
		l.v.d.mu.Lock()
		defer l.v.d.mu.Unlock()
		if l.v.d.locks[l.name] == l.v {
			delete(l.v.d.locks, l.name)
		}
	})
	return nil
}
