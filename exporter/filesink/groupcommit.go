package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// groupCommit lets concurrent writers share fsyncs: at most one fsync runs
// at a time, and it covers every write completed before it started. Writers
// whose record came in while an fsync was running wait for the next one
// together, so N concurrent writers pay about two fsyncs, not N.
type groupCommit struct {
	mu     sync.Mutex
	synced uint64     // every write with seq <= synced is on stable storage
	round  *syncRound // the fsync in flight, or nil
	// Writes with seq <= failedUpTo were made before an fsync failure was
	// seen: they get failedErr, whatever later fsyncs do.
	failedUpTo uint64
	failedErr  error
}

// fail records an fsync failure seen after write number upTo.
// Callers hold gc.mu.
func (gc *groupCommit) fail(upTo uint64, err error) {
	if upTo > gc.failedUpTo {
		gc.failedUpTo, gc.failedErr = upTo, err
	}
}

// syncRound is one fsync; done is closed when it ends, after which upTo and
// err are read-only.
type syncRound struct {
	done chan struct{}
	upTo uint64
	err  error
}

// waitSynced returns once the write numbered seq is covered by a successful
// fsync, or with the error of the fsync that should have covered it. A
// caller whose ctx ends stops waiting; its record stays written.
func (w *writer) waitSynced(ctx context.Context, seq uint64, obs *observer) error {
	gc := &w.gc
	for {
		gc.mu.Lock()
		if seq <= gc.failedUpTo {
			err := gc.failedErr
			gc.mu.Unlock()
			return err
		}
		if gc.synced >= seq {
			gc.mu.Unlock()
			return nil
		}
		if r := gc.round; r != nil {
			gc.mu.Unlock()
			select {
			case <-r.done:
			case <-ctx.Done():
				return fmt.Errorf("wait for fsync of %q: %w", w.set.path, ctx.Err())
			}
			if r.upTo >= seq {
				return r.err
			}
			continue
		}
		r := &syncRound{done: make(chan struct{})}
		gc.round = r
		gc.mu.Unlock()
		w.runSyncRound(ctx, r, obs)
		if r.upTo >= seq {
			return r.err
		}
	}
}

// runSyncRound fsyncs the active file. Writes counted before the file is
// read are in it or in an earlier file, which rotation fsynced under synced
// durability before it switched files.
func (w *writer) runSyncRound(ctx context.Context, r *syncRound, obs *observer) {
	w.fileMu.RLock()
	f := w.f
	upTo := w.seq.Load()
	var err error
	if f == nil {
		err = errWriterClosed
	} else {
		start := time.Now()
		err = f.Sync()
		obs.fsyncDuration(ctx, time.Since(start))
		if err != nil {
			obs.writeError(ctx)
			err = fmt.Errorf("fsync %q: %w", w.set.path, err)
			// Linux may drop the dirty pages of a failed fsync, so a later
			// fsync that works proves nothing for them: every write made
			// before the failure was seen gets the error (and is retried),
			// and later writes go to a new file.
			upTo = w.seq.Load()
			w.fsyncFailed.Store(true)
		}
	}
	w.fileMu.RUnlock()

	gc := &w.gc
	gc.mu.Lock()
	r.upTo, r.err = upTo, err
	if err != nil {
		gc.fail(upTo, err)
	} else if upTo > gc.synced {
		gc.synced = upTo
	}
	gc.round = nil
	gc.mu.Unlock()
	close(r.done)
}
