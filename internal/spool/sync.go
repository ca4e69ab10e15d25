package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// Sync makes everything appended and acked so far durable: it fsyncs the
// segment files written since the last Sync, the ack files and the folder.
// With Settings.Sync, Append already waits for its fsync and Sync only adds
// the acks. Without it, Sync is how the caller makes its appends survive
// power loss at a moment of its choosing, with one fsync per file instead of
// one per Append (the processor's spill mode calls it before Shutdown
// returns). Close does not fsync segments without Settings.Sync.
func (s *Spool) Sync() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	sealed := s.unsynced // live segments only: detachLocked drops the others
	for _, seg := range sealed {
		seg.unsynced = false
	}
	s.unsynced = nil
	active := s.active
	segs := append([]*segment(nil), s.segs...)
	s.mu.Unlock()

	// The files are fsynced at the same time: the file system can write
	// them out, and commit its journal, together.
	errc := make(chan error, len(sealed))
	var wg sync.WaitGroup
	for _, seg := range sealed {
		wg.Go(func() { errc <- s.syncPath(seg.path) })
	}
	var errs []error
	if active != nil {
		errs = append(errs, s.syncActive(active))
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		errs = append(errs, err)
	}
	errs = append(errs, s.syncAckFiles(segs))
	s.dirDirty.Store(false)
	if err := s.fs.SyncDir(s.set.Dir); err != nil {
		s.dirDirty.Store(true)
		errs = append(errs, fmt.Errorf("fsync folder %q: %w", s.set.Dir, err))
	}
	return errors.Join(errs...)
}

// syncActive fsyncs the active segment's file. An error fails the writes
// to it that are not committed yet (see groupCommit).
func (s *Spool) syncActive(active *segment) error {
	active.fmu.RLock()
	defer active.fmu.RUnlock()
	if active.wf == nil { // sealed since: its handle is gone
		return s.syncPath(active.path)
	}
	err := active.wf.Sync()
	active.noteSyncErr(err)
	if err != nil {
		return fmt.Errorf("fsync %q: %w", active.path, err)
	}
	return nil
}

// syncAckFiles fsyncs the ack files of segs written since their last fsync.
func (s *Spool) syncAckFiles(segs []*segment) error {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	var errs []error
	for _, seg := range segs {
		if seg.ackF != nil && seg.ackDirty {
			if err := seg.ackF.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("fsync ack file %q: %w", seg.ackPath, err))
				continue
			}
			seg.ackDirty = false
		}
	}
	s.pruneCleanAcks()
	return errors.Join(errs...)
}

// syncPath fsyncs a closed file by name; a file deleted meanwhile is fine.
func (s *Spool) syncPath(path string) error {
	f, err := s.fs.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %q for fsync: %w", path, err)
	}
	err = f.Sync()
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("fsync %q: %w", path, err)
	}
	return nil
}
