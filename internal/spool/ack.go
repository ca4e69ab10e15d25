package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
)

// Ack marks a frame handed out by Next (or appended Held) as done: delivered,
// or dropped by the caller. Acks may come in any order. Once every frame of a
// sealed segment is acked, its files are deleted and its bytes leave
// DiskBytes.
//
// Durability: Ack writes an 8-byte record to the segment's ack file with one
// write(2) before it returns, so the ack survives a crash of the process
// (SIGKILL, OOM kill). It survives power loss once the ack file is fsynced,
// which Sync does, and Close with Settings.Sync; an ack lost that way yields its frame
// once more after the restart (at-least-once). An error means the record
// could not be written (the frame is still done for this process).
//
// Acking an ID that is not in flight (never handed out, or acked already)
// panics. After Close, Ack returns ErrClosed.
func (s *Spool) Ack(id ID) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	m, ok := s.inflight[id]
	if !ok {
		s.mu.Unlock()
		panic(fmt.Sprintf("spool: Ack(%v) of a frame that is not in flight", id))
	}
	delete(s.inflight, id)
	seg := m.seg // still known if it was moved aside meanwhile
	seg.pend.sub(m.counts())
	seg.infl.sub(m.counts())
	s.pending.sub(m.counts())
	s.infl.sub(m.counts())
	del := s.reclaimableLocked(seg)
	// The last frame in flight of a segment moved aside: nothing more is
	// written to its ack file (kept only if the rename failed).
	last := !del && seg.deleted && seg.pend.frames == 0
	s.mu.Unlock()

	s.ackMu.Lock()
	err := s.writeAck(seg, id.off())
	if del {
		err = errors.Join(err, s.deleteFiles(seg))
	} else if last {
		err = errors.Join(err, s.closeAckFile(seg))
	}
	s.ackMu.Unlock()
	if del {
		err = errors.Join(err, s.syncDirIfDirty())
	}
	return err
}

// reclaimableLocked reports whether seg can go, and if so takes it out of
// the live set. The caller then calls deleteFiles under ackMu.
func (s *Spool) reclaimableLocked(seg *segment) bool {
	if !seg.sealed || seg.pend.frames > 0 || seg.reading || seg.deleted || seg == s.active {
		return false
	}
	s.detachLocked(seg)
	return true
}

// detachLocked takes seg out of the index: it is deleted or moved aside.
// Segments in flight keep their *segment (frameMeta.seg) until acked.
func (s *Spool) detachLocked(seg *segment) {
	seg.deleted = true
	delete(s.byNum, seg.num)
	if i := slices.Index(s.segs, seg); i >= 0 {
		s.segs = slices.Delete(s.segs, i, i+1)
	}
	if seg.unsynced { // nothing left to fsync: the list stays bounded by the live segments
		seg.unsynced = false
		if i := slices.Index(s.unsynced, seg); i >= 0 {
			s.unsynced = slices.Delete(s.unsynced, i, i+1)
		}
	}
	if seg == s.active {
		s.active = nil
	}
	s.diskBytes -= seg.size
}

// writeAck appends an ack record for off to seg's ack file. Callers hold
// s.ackMu.
func (s *Spool) writeAck(seg *segment, off uint32) error {
	return s.writeAckRecords(seg, off, 0)
}

// writeRegion records a reported bad region [start, end) in seg's ack file:
// its start like an acked frame, and its end, so that a later Open can tell
// new damage right after it from the old region. Callers hold s.ackMu.
func (s *Spool) writeRegion(seg *segment, start, end int64) error {
	return s.writeAckRecords(seg, uint32(start), end)
}

// writeAckRecords writes the ack record for off and, if end > 0, a region
// end record, with one write(2).
func (s *Spool) writeAckRecords(seg *segment, off uint32, end int64) error {
	if seg.ackGone {
		return nil
	}
	if seg.ackF == nil {
		f, err := s.fs.OpenFile(seg.ackPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("open ack file %q: %w", seg.ackPath, err)
		}
		seg.ackF = f
		s.dirDirty.Store(true) // it may have been created
	}
	s.ackBuf = appendAckRecord(s.ackBuf[:0], seg.num, off, false)
	if end > 0 {
		s.ackBuf = appendAckRecord(s.ackBuf, seg.num, uint32(end), true)
	}
	n, err := seg.ackF.Write(s.ackBuf)
	if err == nil && n != len(s.ackBuf) {
		err = io.ErrShortWrite
	}
	if !seg.ackDirty && s.set.Sync {
		s.dirtyAcks = append(s.dirtyAcks, seg)
	}
	seg.ackDirty = true
	if err != nil {
		return fmt.Errorf("write ack file %q: %w", seg.ackPath, err)
	}
	return nil
}

// deleteFiles removes a reclaimed segment's files: the segment first, so a
// crash in between leaves an ack file without a segment (removed at Open),
// never a segment without its acks. With Sync, the acks of older segments
// are made durable first, so that a power cut never keeps this deletion and
// loses an older ack (frames dropped oldest first would come back while newer
// ones stay gone). Callers hold s.ackMu, and then call syncDirIfDirty without
// it.
func (s *Spool) deleteFiles(seg *segment) error {
	seg.gone.Store(true)
	defer s.dropReaderHandle()
	errs := []error{s.syncOlderAcks(seg.num)}
	if err := s.closeAckFile(seg); err != nil {
		errs = append(errs, err)
	}
	seg.ackGone = true
	if err := s.fs.Remove(seg.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// Keep the ack file: a restart finds the segment fully acked.
		return errors.Join(append(errs, fmt.Errorf("remove segment %q: %w", seg.path, err))...)
	}
	s.dirDirty.Store(true)
	if err := s.fs.Remove(seg.ackPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove ack file %q: %w", seg.ackPath, err))
	}
	return errors.Join(errs...)
}

// syncOlderAcks fsyncs, with Settings.Sync, the ack files written since
// their last fsync of the segments numbered below num, and forgets the
// segments that are clean. Callers hold s.ackMu.
func (s *Spool) syncOlderAcks(num uint32) error {
	if !s.set.Sync {
		return nil
	}
	var errs []error
	for _, seg := range s.dirtyAcks {
		if seg.ackDirty && seg.ackF != nil && seg.num < num {
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

// pruneCleanAcks drops the segments whose ack file is fsynced or closed from
// dirtyAcks, which so stays bounded by the live segments. Callers hold s.ackMu.
func (s *Spool) pruneCleanAcks() {
	s.dirtyAcks = slices.DeleteFunc(s.dirtyAcks, func(seg *segment) bool { return !seg.ackDirty || seg.ackF == nil })
}

// dropReaderHandle closes Next's read handle if its segment was deleted: an
// open handle keeps a deleted file's blocks in use, so a full volume would
// stay full until the cursor moves, which it does only when a frame is
// appended. If a Next holds the reader now, that Next closes the handle as
// it returns (see Next), prompted by readerStale.
func (s *Spool) dropReaderHandle() {
	if !s.rmu.TryLock() {
		s.readerStale.Store(true)
		return
	}
	s.closeGoneReaderLocked()
	s.rmu.Unlock()
}

// closeGoneReaderLocked closes the reader's handle if its segment is gone.
// Callers hold s.rmu.
func (s *Spool) closeGoneReaderLocked() {
	if r := &s.reader; r.seg != nil && r.seg.gone.Load() {
		r.close()
	}
}

// closeAckFile fsyncs (with Sync, if written) and closes seg's ack file.
// Callers hold s.ackMu.
func (s *Spool) closeAckFile(seg *segment) error {
	if seg.ackF == nil {
		return nil
	}
	var err error
	if s.set.Sync && seg.ackDirty {
		if err = seg.ackF.Sync(); err != nil {
			err = fmt.Errorf("fsync ack file %q: %w", seg.ackPath, err)
		}
	}
	if cerr := seg.ackF.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close ack file %q: %w", seg.ackPath, cerr)
	}
	seg.ackF, seg.ackDirty = nil, false
	return err
}

// readAcks loads seg's ack file into seg.skip and returns the bad regions
// it records (start -> end). A missing or unreadable file means no acks (at
// worst frames are yielded again).
func (s *Spool) readAcks(seg *segment) map[uint32]int64 {
	regions := map[uint32]int64{}
	f, err := s.fs.OpenFile(seg.ackPath, os.O_RDONLY, 0)
	if err != nil {
		return regions
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return regions
	}
	b := make([]byte, st.Size())
	n, _ := f.ReadAt(b, 0)
	parseAckRecords(seg.num, b[:n], seg.skip, regions)
	return regions
}

// syncDirIfDirty fsyncs the folder, with Settings.Sync, if a file was
// created, removed or renamed in it since its last fsync, so that the
// change survives power loss. Without Sync, Spool.Sync does it. It takes
// no lock of the Spool.
func (s *Spool) syncDirIfDirty() error {
	if !s.set.Sync || !s.dirDirty.Swap(false) {
		return nil
	}
	if err := s.fs.SyncDir(s.set.Dir); err != nil {
		s.dirDirty.Store(true)
		return fmt.Errorf("fsync folder %q: %w", s.set.Dir, err)
	}
	return nil
}
