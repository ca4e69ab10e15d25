package deadletter

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("deadletter: closed")

// Settings configures Open.
type Settings struct {
	// Dir is the dead-letter folder; it is created if missing. Required.
	Dir string
	// MaxBytes is the byte budget of the folder's segment files; a Write
	// past it fails with an error wrapping spool.ErrFull. Must be > 0.
	MaxBytes int64
	// Sync makes Write return only once the letter is fsynced (concurrent
	// writes share one fsync). False: the page cache decides.
	Sync bool
	// SegmentBytes is the segment file size; 0 means the spool's default.
	SegmentBytes int64
	// OnProblem, if set, is told about damage the spool's repair finds at
	// Open (see spool.Settings.OnProblem).
	OnProblem func(spool.Problem)
}

// Stats is what the dead_letter_bytes and dead_letter_limit_bytes gauges
// show.
type Stats struct {
	// Bytes is the size of the folder's segment files, as this Writer
	// knows it: segment files a replay deleted count until a Write finds
	// the budget full and the Writer counts afresh.
	Bytes int64
	// LimitBytes is Settings.MaxBytes.
	LimitBytes int64
	// Letters and Items are the letters in the folder and their items
	// (found at Open or written since).
	Letters int64
	Items   int64
}

// Writer appends dead letters to a folder. It holds the folder's lock until
// Close. It is safe for concurrent use. The zero Writer is not usable; use
// Open.
type Writer struct {
	set Settings

	mu     sync.Mutex
	sp     *spool.Spool // replaced by reclaim, nil if its reopen failed; guarded by mu
	closed bool         // guarded by mu
	buf    []byte       // envelope encoding buffer, guarded by mu
}

// Open opens (creates) the dead-letter folder set.Dir and takes its lock.
func Open(set Settings) (*Writer, error) {
	sp, err := openSpool(set)
	if err != nil {
		return nil, err
	}
	return &Writer{set: set, sp: sp}, nil
}

func openSpool(set Settings) (*spool.Spool, error) {
	sp, err := spool.Open(spool.Settings{
		Dir: set.Dir, MaxBytes: set.MaxBytes, Sync: set.Sync,
		SegmentBytes: set.SegmentBytes, OnProblem: set.OnProblem,
	})
	if err != nil {
		return nil, fmt.Errorf("open dead-letter folder: %w", err)
	}
	return sp, nil
}

// Write stores one letter as one frame: the envelope and the payload, with
// the item count and the drop time in the frame header. The error text is
// cut to MaxErrorBytes. A letter past the budget is not written and the
// error wraps spool.ErrFull; any error means the letter was not kept.
func (w *Writer) Write(l Letter) error {
	w.mu.Lock()
	if err := w.reopenLocked(); err != nil {
		w.mu.Unlock()
		return fmt.Errorf("write dead letter (%s, %d items): %w", l.Reason, l.Items, err)
	}
	w.buf = appendEnvelope(w.buf[:0], l)
	rec := spool.Record{Payload: w.buf, Items: uint32(min(max(l.Items, 0), math.MaxUint32)), Time: unixNano(l.Dropped)}
	_, err := w.sp.Append(nil, rec)
	if errors.Is(err, spool.ErrFull) && w.reclaimLocked() {
		_, err = w.sp.Append(nil, rec)
	}
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not keep one huge batch's buffer
	}
	w.mu.Unlock()
	if errors.Is(err, spool.ErrClosed) {
		err = ErrClosed
	}
	if err != nil {
		return fmt.Errorf("write dead letter (%s, %d items) to %q: %w", l.Reason, l.Items, w.set.Dir, err)
	}
	return nil
}

// Stats returns the bytes used and the budget. Bytes is what the folder's
// segment files hold now: a replay that deleted segments shows at once,
// although the spool gives their budget back only at the next reclaim.
func (w *Writer) Stats() Stats {
	var st spool.Stats
	w.mu.Lock()
	if w.sp != nil {
		st = w.sp.Stats()
	}
	w.mu.Unlock()
	bytes := st.DiskBytes
	if onDisk, err := segmentBytes(w.set.Dir); err == nil {
		bytes = min(bytes, onDisk)
	}
	return Stats{Bytes: bytes, LimitBytes: w.set.MaxBytes, Letters: int64(st.Frames), Items: st.Items}
}

// reclaimLocked gives back the budget of segment files a replay deleted
// (the spool counts a segment until it is acked, and dead letters are
// never acked): when the folder's segment files take less than the spool
// counts, the spool is closed and opened again, which counts afresh. It
// runs on every write that finds the budget full (a folder listing: a full
// folder is the slow path already), and reports whether it reopened.
// Callers hold w.mu.
func (w *Writer) reclaimLocked() bool {
	onDisk, err := segmentBytes(w.set.Dir)
	if err != nil || onDisk >= w.sp.Stats().DiskBytes {
		return false
	}
	_ = w.sp.Close() // what it wrote is on disk; an fsync error is Sync's to report
	w.sp = nil
	return w.reopenLocked() == nil
}

// reopenLocked opens the spool again after a reclaim whose reopen failed
// (a replay held the folder's lock for a moment). Callers hold w.mu.
func (w *Writer) reopenLocked() error {
	if w.closed {
		return ErrClosed
	}
	if w.sp != nil {
		return nil
	}
	sp, err := openSpool(w.set)
	if err != nil {
		return err
	}
	w.sp = sp
	return nil
}

// segmentBytes sums the sizes of the segment files in dir.
func segmentBytes(dir string) (int64, error) {
	nums, err := spool.SegmentNumbers(nil, dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, num := range nums {
		fi, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%010d.seg", num)))
		if err == nil {
			n += fi.Size()
		}
	}
	return n, nil
}

// Close fsyncs what was written (with Sync), closes the files and releases
// the lock. A second Close returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.sp == nil {
		return nil
	}
	return w.sp.Close()
}
