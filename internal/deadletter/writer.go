package deadletter

import (
	"errors"
	"fmt"
	"math"
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
	// knows it (letters a replay deleted count until the next Open).
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
	sp  *spool.Spool
	max int64

	mu  sync.Mutex
	buf []byte // envelope encoding buffer, guarded by mu
}

// Open opens (creates) the dead-letter folder set.Dir and takes its lock.
func Open(set Settings) (*Writer, error) {
	sp, err := spool.Open(spool.Settings{
		Dir: set.Dir, MaxBytes: set.MaxBytes, Sync: set.Sync,
		SegmentBytes: set.SegmentBytes, OnProblem: set.OnProblem,
	})
	if err != nil {
		return nil, fmt.Errorf("open dead-letter folder: %w", err)
	}
	return &Writer{sp: sp, max: set.MaxBytes}, nil
}

// Write stores one letter as one frame: the envelope and the payload, with
// the item count and the drop time in the frame header. The error text is
// cut to MaxErrorBytes. A letter past the budget is not written and the
// error wraps spool.ErrFull; any error means the letter was not kept.
func (w *Writer) Write(l Letter) error {
	w.mu.Lock()
	w.buf = appendEnvelope(w.buf[:0], l)
	rec := spool.Record{Payload: w.buf, Items: uint32(min(max(l.Items, 0), math.MaxUint32)), Time: unixNano(l.Dropped)}
	_, err := w.sp.Append(nil, rec)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not keep one huge batch's buffer
	}
	w.mu.Unlock()
	if errors.Is(err, spool.ErrClosed) {
		err = ErrClosed
	}
	if err != nil {
		return fmt.Errorf("write dead letter (%s, %d items) to %q: %w", l.Reason, l.Items, w.sp.Dir(), err)
	}
	return nil
}

// Stats returns the bytes used and the budget.
func (w *Writer) Stats() Stats {
	st := w.sp.Stats()
	return Stats{Bytes: st.DiskBytes, LimitBytes: w.max, Letters: int64(st.Frames), Items: st.Items}
}

// Close fsyncs what was written (with Sync), closes the files and releases
// the lock. A second Close returns nil.
func (w *Writer) Close() error { return w.sp.Close() }
