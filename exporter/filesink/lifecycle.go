package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// flushLoop writes the buffer every flush_interval (durability buffered).
func (w *writer) flushLoop() {
	ctx := context.Background()
	t := time.NewTicker(w.set.flushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stopFlush:
			return
		case <-t.C:
			w.mu.Lock()
			var err error
			if !w.closed {
				err = w.flushLocked(ctx, nil)
			}
			w.mu.Unlock()
			if err != nil {
				w.logger.Warn("Flush failed; the buffer is kept and retried", zap.Error(err))
			}
		}
	}
}

// close flushes, fsyncs (unless buffered), unlocks and closes the file, and
// stops the background goroutines; its fsync and errors are counted for obs.
// It is idempotent.
func (w *writer) close(ctx context.Context, obs *observer) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	if w.stopFlush != nil {
		close(w.stopFlush)
		w.flushWG.Wait()
	}
	var errs []error
	w.mu.Lock()
	if err := w.flushLocked(ctx, obs); err != nil {
		errs = append(errs, fmt.Errorf("%d buffered bytes lost: %w", len(w.buf), err))
	}
	if w.set.durability != DurabilityBuffered {
		start := time.Now()
		err := w.f.Sync()
		obs.fsyncDuration(ctx, time.Since(start))
		if err != nil {
			obs.writeError(ctx)
			errs = append(errs, fmt.Errorf("fsync %q: %w", w.set.path, err))
		} else {
			w.gc.mu.Lock()
			w.gc.synced = w.seq.Load()
			w.gc.mu.Unlock()
		}
	}
	w.fileMu.Lock()
	if err := w.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %q: %w", w.set.path, err))
	}
	w.f = nil
	w.fileMu.Unlock()
	if err := w.lock.Close(); err != nil { // releases the lock; the lock file stays
		errs = append(errs, fmt.Errorf("unlock %q: %w", w.set.path+lockSuffix, err))
	}
	w.mu.Unlock()
	if w.backups != nil {
		if err := w.backups.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
