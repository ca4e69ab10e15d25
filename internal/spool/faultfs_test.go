package spool

import (
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// faultOp is a file operation faultFS can fail.
type faultOp int

const (
	opWrite faultOp = iota
	opSync
	opTruncate
	opRename
	opOpen
	opSyncDir
	opRemove
	opRead
)

// fault makes the next `times` operations op on paths containing match fail
// with err (times < 0: until cleared). A short write writes half its bytes
// first.
type fault struct {
	op    faultOp
	match string
	err   error
	short bool
	times int
	// block, if set, is waited on before the fault returns (fsync only).
	block chan struct{}
}

// faultFS is the real file system with injected failures.
type faultFS struct {
	OSFS
	mu     sync.Mutex
	faults []fault
	hits   map[faultOp]int
	syncs  atomic.Int64 // fsyncs of segment files that reached the disk
	// syncDelay, if set, makes every fsync of a segment file take at least
	// this long, as a slow disk does.
	syncDelay time.Duration
	log       []string // "create", "remove", "rename" and "syncdir" ops that worked, in order
}

// record appends an operation to the log.
func (f *faultFS) record(op, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, op+" "+name)
}

// ops returns a copy of the log.
func (f *faultFS) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// hitCount returns how many times op failed so far.
func (f *faultFS) hitCount(op faultOp) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[op]
}

func (f *faultFS) inject(ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
}

func (f *faultFS) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *faultFS) hit(op faultOp, name string) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.faults {
		if ft.op != op || !strings.Contains(name, ft.match) || ft.times == 0 {
			continue
		}
		if ft.times > 0 {
			f.faults[i].times--
		}
		if f.hits == nil {
			f.hits = map[faultOp]int{}
		}
		f.hits[op]++
		return ft, true
	}
	return fault{}, false
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if ft, ok := f.hit(opOpen, name); ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ft.err}
	}
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if flag&os.O_CREATE != 0 {
		f.record("create", name)
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if ft, ok := f.hit(opRename, oldpath); ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: ft.err}
	}
	if err := f.OSFS.Rename(oldpath, newpath); err != nil {
		return err
	}
	f.record("rename", oldpath)
	return nil
}

func (f *faultFS) Remove(name string) error {
	if ft, ok := f.hit(opRemove, name); ok {
		return &fs.PathError{Op: "remove", Path: name, Err: ft.err}
	}
	if err := f.OSFS.Remove(name); err != nil {
		return err
	}
	f.record("remove", name)
	return nil
}

func (f *faultFS) SyncDir(name string) error {
	if ft, ok := f.hit(opSyncDir, name); ok {
		return ft.err
	}
	if err := f.OSFS.SyncDir(name); err != nil {
		return err
	}
	f.record("syncdir", name)
	return nil
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if ft, ok := f.fs.hit(opWrite, f.name); ok {
		if ft.short {
			n, _ := f.File.Write(p[:len(p)/2])
			return n, ft.err
		}
		return 0, ft.err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	f.fs.record("sync", f.name)
	if ft, ok := f.fs.hit(opSync, f.name); ok {
		if ft.block != nil {
			<-ft.block
		}
		return ft.err
	}
	if strings.HasSuffix(f.name, segSuffix) {
		f.fs.syncs.Add(1)
		if d := f.fs.syncDelay; d > 0 {
			time.Sleep(d) // a slow disk, not a wait for something
		}
	}
	return f.File.Sync()
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if ft, ok := f.fs.hit(opRead, f.name); ok {
		return 0, ft.err
	}
	return f.File.ReadAt(p, off)
}

func (f *faultFile) Truncate(size int64) error {
	if ft, ok := f.fs.hit(opTruncate, f.name); ok {
		return ft.err
	}
	return f.File.Truncate(size)
}

var _ io.Writer = (*faultFile)(nil)
