// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
// path contains match, in the page cache and on disk alike (bit rot), if
// that byte is in a frame; it returns the id of the batch of that frame and
// whether the byte is in its header.
func (d *memDisk) rot(match string, n, off int) (id int, inHeader, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ino := d.pickLocked(match, n)
	if ino == nil || len(ino.cache) == 0 {
		return 0, false, false
	}
	off %= len(ino.cache)
	if id, inHeader, ok = fuzzFrameAt(ino.cache, off); !ok {
		return 0, false, false
	}
	ino.cache[off] ^= 0xff
	if off < len(ino.durable) {
		ino.durable[off] ^= 0xff
	}
	return id, inHeader, true
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
