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

// memDisk is an in-memory, crash-capable file system for FuzzQueue. Each file
// has a page-cache image (what reads see) and a durable image (what its last
// successful fsync made durable); each folder has cached entries and durable
// entries (those its last SyncDir made durable). A process crash (kill) keeps
// the page cache; a power cut keeps only the durable images. Folders made by
// MkdirAll are durable at once, unless strictDirs: then only once their
// parent is fsynced (SyncDir). With zeroTails, a power cut keeps the size of
// a file that grew since its last fsync, zero-filled (as XFS, or ext4
// without data=ordered, may). The spool reaches it through a memView, one per life
// of the processor: a killed view fails every call, so a dead instance writes
// nothing more. No call makes a syscall or blocks, so a synctest bubble stays
// deterministic.
type memDisk struct {
	mu     sync.Mutex
	dirs   map[string]*memDir
	locks  map[string]*memView
	faults []memFault
	// hits counts injected faults that fired.
	hits int
	// strictDirs and zeroTails select the stricter power-cut models.
	strictDirs, zeroTails bool
}

type memDir struct {
	cache, durable map[string]*memInode
	// synced is set once the folder's entry in its parent is durable.
	synced bool
}

type memInode struct {
	cache, durable []byte
	// unreadable makes every read fail with EIO (a bad sector).
	unreadable bool
}

// memOp is an operation memDisk can fail.
type memOp int

const (
	memWrite memOp = iota
	memSync
	memTruncate
	memRename
	memRemove
	memRead
	memOpen
	memSyncDir
)

// memFault fails the next times operations op on paths containing match
// (times < 0: until cleared) with err; a short write writes half first.
type memFault struct {
	op    memOp
	match string
	err   error
	short bool
	times int
}

func newMemDisk() *memDisk {
	return &memDisk{dirs: map[string]*memDir{}, locks: map[string]*memView{}}
}

// inject adds a fault.
func (d *memDisk) inject(f memFault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, f)
}

// clearFaults removes every fault and makes every file readable again.
func (d *memDisk) clearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = nil
	for _, dir := range d.dirs {
		for _, ino := range dir.cache {
			ino.unreadable = false
		}
	}
}

// hitCount is the number of injected faults that fired so far.
func (d *memDisk) hitCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits
}

// faulty reports whether a fault is still armed or a file unreadable.
func (d *memDisk) faulty() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.faults {
		if f.times != 0 {
			return true
		}
	}
	for _, dir := range d.dirs {
		for _, ino := range dir.cache {
			if ino.unreadable {
				return true
			}
		}
	}
	return false
}

// spoil makes the n-th file (in name order) whose path contains match unreadable.
func (d *memDisk) spoil(match string, n int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ino := d.pickLocked(match, n)
	if ino == nil {
		return false
	}
	ino.unreadable = true
	return true
}

// rot flips the bits of byte off (modulo its size) of the n-th file whose
// path contains match, in the page cache and on disk alike (bit rot).
func (d *memDisk) rot(match string, n, off int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ino := d.pickLocked(match, n)
	if ino == nil || len(ino.cache) == 0 {
		return false
	}
	off %= len(ino.cache)
	ino.cache[off] ^= 0xff
	if off < len(ino.durable) {
		ino.durable[off] ^= 0xff
	}
	return true
}

// pickLocked returns the n-th file (in name order, modulo their number)
// whose path contains match, or nil. d.mu MUST be held.
func (d *memDisk) pickLocked(match string, n int) *memInode {
	var names []string
	for dn, dir := range d.dirs {
		for name := range dir.cache {
			if p := filepath.Join(dn, name); strings.Contains(p, match) {
				names = append(names, p)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	p := names[n%len(names)]
	return d.dirs[filepath.Dir(p)].cache[filepath.Base(p)]
}

// hitLocked reports the fault that fails op on name, if any. d.mu MUST be held.
func (d *memDisk) hitLocked(op memOp, name string) (memFault, bool) {
	for i, f := range d.faults {
		if f.op != op || f.times == 0 || !strings.Contains(name, f.match) {
			continue
		}
		if f.times > 0 {
			d.faults[i].times--
		}
		d.hits++
		return f, true
	}
	return memFault{}, false
}

// powerCut forgets everything that is not durable: folders keep their
// durable entries, files their durable images.
func (d *memDisk) powerCut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for p := range d.dirs {
		for q := p; ; q = filepath.Dir(q) {
			if dir := d.dirs[q]; dir == nil || !dir.synced {
				delete(d.dirs, p)
				break
			}
			if q == filepath.Dir(q) {
				break
			}
		}
	}
	for _, dir := range d.dirs {
		dir.cache = maps.Clone(dir.durable)
		for _, ino := range dir.cache {
			n := len(ino.cache)
			ino.cache = slices.Clone(ino.durable)
			if d.zeroTails && n > len(ino.cache) {
				ino.cache = append(ino.cache, make([]byte, n-len(ino.cache))...)
			}
		}
	}
	d.locks = map[string]*memView{}
}

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
