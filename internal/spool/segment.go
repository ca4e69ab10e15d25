package spool

import (
	"path/filepath"
	"sync"
	"sync/atomic"
)

// segment is one segment file. Fields are guarded by Spool.mu unless noted.
type segment struct {
	num     uint32
	path    string
	ackPath string
	size    int64 // bytes in the file that belong to it (written or found)
	// committed is the end of the frames Append has acknowledged; Next
	// reads below it only. Sealed segments have committed == size.
	committed int64
	sealed    bool // Append writes no more to it
	// writeFailed is set when a write to it failed (a full volume, say).
	writeFailed bool
	// pend counts its committed frames neither acked nor lost; infl the
	// part of them in flight. pend - infl is what Next has yet to yield
	// from it: the exact loss when Next cannot read it any more.
	pend, infl counts
	reading    bool                // Next is doing I/O on it: do not delete
	deleted    bool                // out of the index: reclaimed or moved aside
	unsynced   bool                // in Spool.unsynced
	gone       atomic.Bool         // its files are being or were removed (read without locks)
	skip       map[uint32]struct{} // frame offsets Next passes over (acked, held)
	jumps      map[uint32]int64    // bad regions found at Open: start -> end

	fmu sync.RWMutex // guards wf against Close while a group commit fsyncs it
	wf  File         // write handle of the active segment
	// syncErr is the first error an fsync of wf returned (read and set
	// without Spool.mu, under fmu). Linux reports a writeback error to one
	// fsync only, so every later commit decision on this file checks it.
	syncErr atomic.Pointer[error]

	// Guarded by Spool.ackMu.
	ackF     File
	ackDirty bool
	ackGone  bool
}

// noteSyncErr records err (if any) as the outcome of an fsync of seg.
func (seg *segment) noteSyncErr(err error) {
	if err != nil {
		p := new(error) // allocated on failure only (&err would escape on every call)
		*p = err
		seg.syncErr.CompareAndSwap(nil, p)
	}
}

// failedSync returns the error an fsync of seg's file reported, or nil.
func (seg *segment) failedSync() error {
	if p := seg.syncErr.Load(); p != nil {
		return *p
	}
	return nil
}

// unread is what Next has yet to yield from seg.
func (seg *segment) unread() counts {
	c := seg.pend
	c.sub(seg.infl)
	return c
}

func newSegment(dir string, num uint32) *segment {
	name := segmentName(num)
	return &segment{
		num:     num,
		path:    filepath.Join(dir, name),
		ackPath: filepath.Join(dir, name[:len(name)-len(segSuffix)]+ackSuffix),
		skip:    map[uint32]struct{}{},
		jumps:   map[uint32]int64{},
	}
}
