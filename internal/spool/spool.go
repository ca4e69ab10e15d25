package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// DefaultSegmentBytes is the segment size used when Settings.SegmentBytes is 0.
const DefaultSegmentBytes = 8 << 20

// maxSegmentBytes bounds Settings.SegmentBytes: frame offsets are 32-bit.
const maxSegmentBytes = 1 << 30

// Sentinel errors; check them with errors.Is.
var (
	// ErrFull is returned by Append when the records would take the disk
	// use past Settings.MaxBytes. Nothing is written.
	ErrFull = errors.New("spool: disk budget full")
	// ErrTooLarge is returned by Append for a payload over 1 GiB or an
	// Append call over 2 GiB in total.
	ErrTooLarge = errors.New("spool: record too large")
	// ErrClosed is returned by calls on a closed Spool.
	ErrClosed = errors.New("spool: closed")
	// ErrLocked is wrapped by Open when another Spool, in this process or
	// another, holds the folder.
	ErrLocked = errors.New("spool: folder in use")
)

// lockName is the lock file in Settings.Dir.
const lockName = "LOCK"

// Settings configures Open.
type Settings struct {
	// Dir is the folder of the spool; it is created if missing. Required.
	Dir string
	// MaxBytes is the disk budget: the size of all segment files together
	// (ack files, a few bytes per frame, are not counted). Must be > 0.
	MaxBytes int64
	// SegmentBytes is the size at which the next Append starts a new
	// segment file; 0 means DefaultSegmentBytes. At most 1 GiB. One Append
	// never spans segments, so a segment may grow past it by one call.
	SegmentBytes int64
	// Sync makes Append return only after an fsync covering its records
	// (shared by concurrent callers), and Close fsync the ack files. False
	// means the page cache decides: the data survives a process crash but
	// not power loss.
	Sync bool
	// FS is the file system; nil means OSFS.
	FS FS
	// OnProblem, if set, is told about each damaged part of the spool: at
	// Open for what the repair finds, and from Next for frames that fail
	// their payload check, bad regions and segments it cannot read (moved
	// aside), each with the exact frames and items it takes from the
	// counts. It runs without any lock of the Spool held, on the goroutine
	// of Open or Next, so it may call the Spool (not Next from Next's
	// goroutine: Next calls are serialized). nil ignores problems (Stats
	// still counts them).
	OnProblem func(Problem)
}

// Record is one entry to append.
type Record struct {
	// Payload is written as is; the processor puts one OTLP protobuf export
	// request here. At most 1 GiB. Append does not keep it.
	Payload []byte
	// Items and Time are caller metadata stored in the frame header and
	// returned by Next (the processor stores item count and arrival time).
	Items uint32
	Time  int64
	// Held marks the record as in flight from the start: Next never yields
	// it, and the caller Acks it (by the ID Append returns) once it has been
	// delivered from memory. After a restart it is pending like any other
	// unacked frame.
	Held bool
}

// Frame is a record read back by Next.
type Frame struct {
	// ID names the frame for Ack.
	ID ID
	// Payload is the record's payload (see Next for its buffer).
	Payload []byte
	// Items and Time are the record's metadata.
	Items uint32
	Time  int64
}

// ID identifies a frame: the segment number in the high 32 bits and the
// frame's byte offset in the segment in the low 32 bits. IDs grow in append
// order. The zero ID names no frame.
type ID uint64

func makeID(seg uint32, off int64) ID { return ID(uint64(seg)<<32 | uint64(off)) }
func (id ID) seg() uint32             { return uint32(id >> 32) }
func (id ID) off() uint32             { return uint32(id) }

// String returns "segment:offset".
func (id ID) String() string { return fmt.Sprintf("%d:%d", id.seg(), id.off()) }

// counts sums frames, their bytes on disk (header included) and items.
type counts struct {
	frames int
	bytes  int64
	items  int64
}

func (c *counts) add(o counts) { c.frames += o.frames; c.bytes += o.bytes; c.items += o.items }
func (c *counts) sub(o counts) { c.frames -= o.frames; c.bytes -= o.bytes; c.items -= o.items }

// Spool is a log of frames in segment files in one folder: Append writes at
// the tail, Next reads pending frames oldest first, Ack marks them done and
// deletes a segment file once all its frames are done. It is safe for
// concurrent use; Next calls are serialized among themselves. The zero Spool
// is not usable; use Open.
//
// Locks, in the order they may be taken (a lock may be taken while holding
// only locks listed before it, never one listed after it):
//
//  1. rmu: serializes Next and guards its reader. Taken first, by Next and
//     Close; everywhere else only with TryLock (dropReaderHandle), which
//     never waits and so is outside the order.
//  2. mu: the index, the counts, Append and the group commit.
//  3. ackMu: ack files and the removal or renaming of segment files.
//  4. segment.fmu: a segment's write handle. Write-locked under mu to seal
//     or close it; read-locked with no other lock held (or under mu) to fsync
//     it. Nothing is taken while holding it.
//
// Settings.OnProblem runs with none of them held, so it may call the Spool.
type Spool struct {
	set  Settings
	fs   FS
	lock io.Closer

	mu        sync.Mutex
	closed    bool
	segs      []*segment // live segments, ascending numbers
	byNum     map[uint32]*segment
	active    *segment // the segment Append writes to, or nil
	nextNum   uint32
	diskBytes int64
	pending   counts           // committed frames not yet acked or lost
	infl      counts           // the part of pending in flight
	inflight  map[ID]frameMeta // handed out (Next or Held) and not acked
	stats     Stats            // problem counters
	wbuf      []byte           // encoding buffer of Append
	commit    groupCommit
	unsynced  []*segment // live segments sealed without fsync (Sync off), for Spool.Sync

	rmu sync.Mutex // serializes Next; guards the reader below
	// readerStale asks the next holder of rmu to close the reader's handle
	// of a deleted segment (see dropReaderHandle).
	readerStale atomic.Bool
	reader      reader

	ackMu  sync.Mutex // serializes ack file writes and segment deletion
	ackBuf []byte
	// dirtyAcks lists the segments whose ack file was written since its
	// last fsync (some may be clean again: see syncOlderAcks). Guarded by
	// ackMu.
	dirtyAcks []*segment
	// dirDirty is set when a file was created, removed or renamed in the
	// folder since its last fsync (see syncDirIfDirty).
	dirDirty atomic.Bool
}

// frameMeta is what Ack needs to know about an in-flight frame.
type frameMeta struct {
	seg   *segment
	bytes int64
	items uint32
}

func (m frameMeta) counts() counts { return counts{frames: 1, bytes: m.bytes, items: int64(m.items)} }

func segmentName(num uint32) string { return fmt.Sprintf("%010d.seg", num) }

// Stats is a snapshot of the Spool's counters.
type Stats struct {
	// Frames, Bytes and Items are the pending data: committed frames not yet
	// acked (in flight included). Bytes count frame headers too.
	Frames int
	Bytes  int64
	Items  int64
	// InFlight is how many frames are handed out (Next or Held) and not acked.
	InFlight int
	// DiskBytes is the size of the segment files, the figure MaxBytes bounds.
	DiskBytes int64
	// Segments is the number of segment files.
	Segments int
	// CorruptFrames, CorruptBytes and CorruptItems count frames skipped
	// because they failed a check, and bad regions (each counted as one
	// frame; the items of a region found at Open are unknown and not
	// included, those of one found by Next are).
	CorruptFrames int64
	CorruptBytes  int64
	CorruptItems  int64
	// TornBytes counts bytes of torn tails found at Open (a write cut short
	// by a crash).
	TornBytes int64
	// MovedAside counts segment files renamed to *.corrupt-<unix> because
	// they could not be read or held no frame at all.
	MovedAside int64
}

// Len returns the pending frames, their bytes on disk and their items:
// committed, not acked, in flight or not.
func (s *Spool) Len() (frames int, bytes, items int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.frames, s.pending.bytes, s.pending.items
}

// Stats returns the current counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Frames, st.Bytes, st.Items = s.pending.frames, s.pending.bytes, s.pending.items
	st.InFlight = len(s.inflight)
	st.DiskBytes = s.diskBytes
	st.Segments = len(s.segs)
	return st
}

// Unread returns the frames and items that Next has yet to yield: pending,
// not in flight. Frames appended Held are in flight from the start.
func (s *Spool) Unread() (frames int, items int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.frames - s.infl.frames, s.pending.items - s.infl.items
}

func (s *Spool) path(name string) string { return filepath.Join(s.set.Dir, name) }

// Close fsyncs what Append wrote (with Sync) and the ack files, closes the
// files and releases the folder's lock. Appends still waiting for an fsync
// get its result. A second Close returns nil.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	var errs []error
	if a := s.active; a != nil {
		if err := s.sealLocked(a); err != nil {
			errs = append(errs, err)
		}
	}
	s.closed = true
	s.commit.closeLocked()
	segs := append([]*segment(nil), s.segs...)
	s.mu.Unlock()

	s.ackMu.Lock()
	for _, seg := range segs {
		if err := s.closeAckFile(seg); err != nil {
			errs = append(errs, err)
		}
	}
	s.ackMu.Unlock()
	if s.set.Sync {
		s.dirDirty.Store(true) // the ack files created
		if err := s.syncDirIfDirty(); err != nil {
			errs = append(errs, err)
		}
	}
	s.rmu.Lock()
	s.reader.close()
	s.rmu.Unlock()
	if err := s.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("unlock %q: %w", s.set.Dir, err))
	}
	return errors.Join(errs...)
}

// openFlags for a new segment: it must not exist.
const segmentFlags = os.O_WRONLY | os.O_CREATE | os.O_EXCL | os.O_APPEND
