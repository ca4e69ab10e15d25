package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
	"go.uber.org/zap"
)

const (
	// bufferFlushBytes: with durability buffered, the process buffer is
	// written once it holds this much, before flush_interval.
	bufferFlushBytes = 256 << 10
	// maxPendingBytes: with durability buffered, the most bytes kept in the
	// process buffer while writes fail; beyond it ConsumeX returns the error.
	maxPendingBytes = 16 << 20
)

var errWriterClosed = errors.New("file writer is closed")

// writerSettings is what a writer needs; exporters that share a path must agree on it.
type writerSettings struct {
	path          string // absolute, {signal} expanded
	format        Format
	durability    Durability
	flushInterval time.Duration
	mode          os.FileMode
	rotation      *RotationConfig // nil: no rotation
}

// sameAs reports whether two exporters may share one writer.
func (s writerSettings) sameAs(o writerSettings) bool {
	if s.path != o.path || s.format != o.format || s.durability != o.durability ||
		s.flushInterval != o.flushInterval || s.mode != o.mode || (s.rotation == nil) != (o.rotation == nil) {
		return false
	}
	return s.rotation == nil || *s.rotation == *o.rotation
}

// writer appends whole records to one file. It is safe for concurrent use:
// every exporter of the process that names the file shares one writer.
type writer struct {
	set    writerSettings
	fs     fileSystem
	logger *zap.Logger
	// sharers is the telemetry of the exporters sharing this writer, for
	// work none of them asked for (background flushes and compressions).
	sharers *observerSet

	mu       sync.Mutex     // guards everything below, and writes to f
	size     int64          // bytes of complete records in f; a failed write is cut back to it
	openedAt time.Time      // start of the active file's age
	buf      []byte         // durability buffered: whole records not yet written
	pending  []pendingBytes // whose records buf holds, in order
	dirty    bool           // a rollback failed: cut f back to size before the next write
	closed   bool
	// maxPending is maxPendingBytes; tests lower it.
	maxPending int

	// fileMu guards f: readers (an fsync round) hold it shared, swapping or
	// closing f holds it exclusively, and also mu. Lock order: mu, then fileMu.
	fileMu sync.RWMutex
	f      file

	lock *flock.Flock // the lock on path+".lock", held until close

	seq atomic.Uint64 // successful writes so far
	gc  groupCommit
	// fsyncFailed: an fsync of f failed, so the state of its pages is
	// unknown (a later fsync may succeed without them); the next write
	// rotates to a new file first.
	fsyncFailed atomic.Bool

	stopFlush chan struct{}
	flushWG   sync.WaitGroup
	backups   *backupWorker // nil without rotation
}

// openWriter creates missing folders, locks the path, opens (never
// truncates) the file, repairs its end, and starts the background goroutines.
func openWriter(set writerSettings, fs fileSystem, logger *zap.Logger, obs *observer) (*writer, error) {
	w := &writer{set: set, fs: fs, logger: logger, sharers: &observerSet{}, maxPending: maxPendingBytes}
	w.sharers.add(obs)
	if err := w.makeFolders(filepath.Dir(set.path)); err != nil {
		return nil, err
	}
	lock, err := lockPath(set.path, set.mode)
	if err != nil {
		return nil, err
	}
	f, err := w.openActive()
	if err == nil {
		err = w.repair(context.Background(), f, obs)
		if err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	w.f, w.lock = f, lock
	w.openedAt = w.fs.now()
	if bt, ok := birthTime(set.path); ok && w.size > 0 && bt.Before(w.openedAt) {
		w.openedAt = bt
	}
	if set.durability == DurabilityBuffered {
		w.buf = make([]byte, 0, bufferFlushBytes)
		w.stopFlush = make(chan struct{})
		w.flushWG.Go(w.flushLoop)
	}
	if set.rotation != nil {
		w.backups = startBackupWorker(set, fs, logger, w.sharers)
	}
	return w, nil
}

// makeFolders creates dir and its missing parents. With synced, each
// created folder is fsynced into its parent, as the new file will be into
// its folder, so that the path survives power loss.
func (w *writer) makeFolders(dir string) error {
	var missing []string // deepest first
	for p := dir; filepath.Dir(p) != p; p = filepath.Dir(p) {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			break
		}
		missing = append(missing, p)
	}
	if err := os.MkdirAll(dir, dirMode(w.set.mode)); err != nil {
		return fmt.Errorf("create folder of %q: %w", w.set.path, err)
	}
	if w.set.durability != DurabilitySynced {
		return nil
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := w.fs.syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// openActive opens the active file, applying file_mode to a new file. The
// caller holds the lock of the path.
func (w *writer) openActive() (file, error) {
	_, statErr := os.Stat(w.set.path)
	f, err := w.fs.openFile(w.set.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, w.set.mode)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", w.set.path, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// OpenFile's mode is filtered by the umask; file_mode is what the user asked for.
		if err := os.Chmod(w.set.path, w.set.mode); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("chmod %q: %w", w.set.path, err)
		}
		// A new file (and a rotation's rename) survives power loss only once its folder is synced.
		if w.set.durability == DurabilitySynced {
			if err := w.fs.syncDir(filepath.Dir(w.set.path)); err != nil {
				_ = f.Close()
				return nil, err
			}
		}
	}
	return f, nil
}

// write appends one encoded record and returns when the durability asks.
func (w *writer) write(ctx context.Context, rec []byte, obs *observer) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errWriterClosed
	}
	if err := w.prepareLocked(ctx, len(rec), obs); err != nil {
		if w.set.durability != DurabilityBuffered || len(w.buf)+len(rec) > w.maxPending {
			w.mu.Unlock()
			return err
		}
	}
	if w.set.durability == DurabilityBuffered {
		w.buf = append(w.buf, rec...)
		if n := len(w.pending); n > 0 && w.pending[n-1].obs == obs {
			w.pending[n-1].n += len(rec)
		} else {
			w.pending = append(w.pending, pendingBytes{obs: obs, n: len(rec)})
		}
		w.mu.Unlock()
		return nil
	}
	err := w.writeLocked(ctx, rec, obs)
	if err == nil {
		obs.written(ctx, len(rec))
	}
	seq := w.seq.Load()
	w.mu.Unlock()
	if err != nil || w.set.durability != DurabilitySynced {
		return err
	}
	return w.waitSynced(ctx, seq, obs)
}

// prepareLocked makes room for a record of n bytes: it flushes a full
// buffer, and rotates when the record would pass a limit or an fsync of the
// file failed. Callers hold mu.
func (w *writer) prepareLocked(ctx context.Context, n int, obs *observer) error {
	if w.needsRotationLocked(n) || w.fsyncFailed.Load() && w.size+int64(len(w.buf)) > 0 {
		if err := w.flushLocked(ctx, obs); err != nil {
			return err
		}
		if err := w.rotateLocked(ctx, obs); err != nil {
			return err
		}
	}
	if len(w.buf) > 0 && len(w.buf)+n > bufferFlushBytes {
		return w.flushLocked(ctx, obs)
	}
	return nil
}

// flushLocked writes the buffered records in one write. Callers hold mu.
// On failure the buffer is kept for the next attempt, and the failure is
// counted for obs, or, when nil (a background flush), for every exporter
// with records in the buffer. Written bytes count for their own exporters.
func (w *writer) flushLocked(ctx context.Context, obs *observer) error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.writeLocked(ctx, w.buf, obs); err != nil {
		if obs == nil {
			for i, p := range w.pending {
				if i == 0 || w.pending[i-1].obs != p.obs {
					p.obs.writeError(ctx)
				}
			}
		}
		return err
	}
	for _, p := range w.pending {
		p.obs.written(ctx, p.n)
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	if cap(w.buf) > 4*bufferFlushBytes {
		w.buf = make([]byte, 0, bufferFlushBytes)
	} else {
		w.buf = w.buf[:0]
	}
	return nil
}

// writeLocked writes p in one write call. A failed or short write is cut back
// so the file ends on a whole record. Callers hold mu.
func (w *writer) writeLocked(ctx context.Context, p []byte, obs *observer) error {
	if w.dirty {
		if err := w.f.Truncate(w.size); err != nil {
			obs.writeError(ctx)
			return fmt.Errorf("cut back %q after a failed write: %w", w.set.path, err)
		}
		w.dirty = false
	}
	n, err := w.f.Write(p)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		obs.writeError(ctx)
		if terr := w.f.Truncate(w.size); terr != nil {
			w.dirty = true
			return fmt.Errorf("write %q: %w (cut back failed: %w)", w.set.path, err, terr)
		}
		return fmt.Errorf("write %q: %w", w.set.path, err)
	}
	w.size += int64(n)
	w.seq.Add(1)
	return nil
}

// dirMode is the mode of created folders: file_mode plus search where it has read.
func dirMode(m os.FileMode) os.FileMode {
	return m | (m&0o444)>>2
}
