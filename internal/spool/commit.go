package spool

import "fmt"

// groupCommit lets concurrent Appends share fsyncs (with Settings.Sync). An
// Append writes its frames under Spool.mu, then joins the open round. If no
// fsync is running, it leads that round itself: it notes how far the writes
// go, fsyncs without the lock, and commits that far. Appends that write
// while an fsync runs join the next round, whose members the finishing
// leader wakes by handing one of them the lead; so N concurrent Appends pay
// about two fsyncs, not N. A leader also takes in the writers that joined
// the next round before it noted how far the writes go: its fsync covers
// them, so each write waits for at most one fsync that began after it.
//
// An fsync failure fails every write not yet committed, whatever round it
// joined: Linux may drop the dirty pages of a failed fsync, so a later fsync
// that works proves nothing for them. Linux also reports a writeback error
// to one fsync of the file only, so the error is kept on the segment
// (segment.syncErr): every fsync of its file, the leader's, a seal's (roll,
// Close) or Spool.Sync's, checks it, and an error seen by any of them fails
// every write not yet committed to that file. Those frames are cut from the
// segment they were written to (truncated to its committed end, or recorded
// as a bad region if the cut fails) and the segment is sealed, so no failed
// frame is read back or replayed and later Appends start a fresh file. The
// epoch counts failures; a round from an older epoch fails.
//
// All fields are guarded by Spool.mu.
type groupCommit struct {
	writeSeq     uint64     // Appends written so far
	committedSeq uint64     // Appends committed (or failed) so far
	written      counts     // totals of frames written since Open
	committed    counts     // totals of frames committed since Open
	unc          []uncFrame // Held frames written but not committed, in order
	epoch        uint64
	failErr      error
	next         *round // the round new writers join, or nil
	syncing      *round // the round whose leader is at work, or nil
}

// uncFrame is a Held frame written but not committed yet: it goes in flight
// when it is committed.
type uncFrame struct {
	id   ID
	meta frameMeta
}

// round is one shared fsync. done is closed when err is set; lead receives
// one token when a member must lead it.
type round struct {
	done  chan struct{}
	lead  chan struct{}
	epoch uint64
	err   error
}

func (gc *groupCommit) pendingWrites() bool { return gc.writeSeq > gc.committedSeq }

// finish completes r with err. Callers hold Spool.mu.
func (r *round) finish(err error) {
	r.err = err
	close(r.done)
}

// waitCommitLocked waits until the caller's write is committed or failed.
// It is called with s.mu held and returns with it released.
func (s *Spool) waitCommitLocked() error {
	gc := &s.commit
	r := gc.next
	if r == nil {
		r = &round{done: make(chan struct{}), lead: make(chan struct{}, 1), epoch: gc.epoch}
		gc.next = r
	}
	if gc.syncing == nil {
		gc.syncing, gc.next = r, nil
		return s.leadLocked(r)
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-r.lead:
		s.mu.Lock()
		return s.leadLocked(r)
	}
}

// leadLocked runs round r (gc.syncing == r): fsync the active segment and
// commit what was written before. Called with s.mu held; releases it.
func (s *Spool) leadLocked(r *round) error {
	gc := &s.commit
	var err error
	switch {
	case r.epoch != gc.epoch:
		err = gc.failErr
	case !gc.pendingWrites():
		// A roll or Close committed our writes already.
	default:
		upTo, written, uncN := gc.writeSeq, gc.written, len(gc.unc)
		seg := s.active
		off := seg.size
		// Writers waiting for the next round wrote before this point:
		// this fsync covers them too.
		absorbed := gc.next
		gc.next = nil
		s.mu.Unlock()
		seg.fmu.RLock()
		if seg.wf != nil { // else sealed meanwhile; sealing fsyncs first
			err = seg.wf.Sync()
			seg.noteSyncErr(err) // before a seal's fsync can see 0
		}
		seg.fmu.RUnlock()
		s.mu.Lock()
		if err == nil {
			err = seg.failedSync() // another fsync of the file failed
		}
		switch {
		case r.epoch != gc.epoch:
			err = gc.failErr
		case err != nil:
			err = fmt.Errorf("fsync %q: %w", seg.path, err)
			s.failSyncLocked(seg, err)
		default:
			s.commitLocked(upTo, seg, off, written, uncN)
		}
		if absorbed != nil {
			absorbed.finish(err)
		}
	}
	r.finish(err)
	gc.syncing = nil
	if n := gc.next; n != nil {
		gc.syncing, gc.next = n, nil
		n.lead <- struct{}{}
	}
	s.mu.Unlock()
	return err
}

// commitLocked makes writes up to upTo (ending at off in seg, with totals
// written and the first uncN uncommitted frames) visible to Next and Len.
func (s *Spool) commitLocked(upTo uint64, seg *segment, off int64, written counts, uncN int) {
	gc := &s.commit
	if upTo <= gc.committedSeq {
		return
	}
	gc.committedSeq = upTo
	delta := written
	delta.sub(gc.committed)
	s.pending.add(delta)
	seg.pend.add(delta) // every uncommitted write is in seg
	gc.committed = written
	if off > seg.committed {
		seg.committed = off
	}
	for _, u := range gc.unc[:uncN] {
		s.inflight[u.id] = u.meta
		seg.skip[u.id.off()] = struct{}{}
		seg.infl.add(u.meta.counts())
		s.infl.add(u.meta.counts())
	}
	if uncN > 0 {
		gc.unc = gc.unc[:copy(gc.unc, gc.unc[uncN:])]
	}
}

// commitAllLocked commits every write so far (they are all in seg, the
// active segment, which was just fsynced) and completes the open round.
func (s *Spool) commitAllLocked(seg *segment) {
	gc := &s.commit
	s.commitLocked(gc.writeSeq, seg, seg.size, gc.written, len(gc.unc))
	if gc.next != nil {
		gc.next.finish(nil)
		gc.next = nil
	}
}

// failSyncLocked fails every uncommitted write after an fsync error: their
// frames, all in seg (the segment the failed round wrote to), are cut from
// it, and it is sealed.
func (s *Spool) failSyncLocked(seg *segment, err error) {
	gc := &s.commit
	gc.epoch++
	gc.failErr = err
	gc.unc = gc.unc[:0] // their Held frames never went in flight
	gc.written = gc.committed
	gc.committedSeq = gc.writeSeq
	if gc.next != nil {
		gc.next.finish(err)
		gc.next = nil
	}
	s.dropTailLocked(seg, seg.committed)
	s.closeWriterLocked(seg)
}

// dropTailLocked takes the bytes of seg past end (failed writes) out of it
// for good: it truncates the file, or, if that fails, records [end, size)
// as a bad region in the ack file, so that neither Next nor a restart ever
// yields a frame from it. It reports whether the truncation worked; if not,
// the caller seals seg. If the ack record cannot be written either, the
// frames there may come back after a restart (once, as a torn tail or as
// frames: the volume is failing and the caller was refused; see the package
// doc).
func (s *Spool) dropTailLocked(seg *segment, end int64) bool {
	size := seg.size
	if size == end {
		return true
	}
	s.diskBytes -= size - end
	seg.size = end
	if seg.wf != nil && seg.wf.Truncate(end) == nil {
		return true
	}
	s.ackMu.Lock()
	_ = s.writeRegion(seg, end, size) // best effort, see above
	s.ackMu.Unlock()
	return false
}

// sealLocked ends appends to seg (the active segment): with Sync it fsyncs
// and commits pending writes first. On fsync failure those writes fail.
func (s *Spool) sealLocked(seg *segment) error {
	if seg.wf == nil {
		seg.sealed = true
		return nil
	}
	if s.set.Sync && s.commit.pendingWrites() {
		seg.fmu.Lock()
		err := seg.wf.Sync()
		seg.noteSyncErr(err)
		seg.fmu.Unlock()
		if err = seg.failedSync(); err != nil { // this fsync's or an earlier one's
			err = fmt.Errorf("fsync %q: %w", seg.path, err)
			s.failSyncLocked(seg, err)
			return err
		}
		s.commitAllLocked(seg)
	} else if !s.set.Sync && seg.size > 0 && !seg.unsynced {
		seg.unsynced = true
		s.unsynced = append(s.unsynced, seg) // for Sync; left when seg is deleted
	}
	s.closeWriterLocked(seg)
	return nil
}

// closeWriterLocked closes seg's write handle and seals it.
func (s *Spool) closeWriterLocked(seg *segment) {
	seg.sealed = true
	seg.fmu.Lock()
	if seg.wf != nil {
		_ = seg.wf.Close() // written data was fsynced or is given up
		seg.wf = nil
	}
	seg.fmu.Unlock()
}

// closeLocked fails rounds that can no longer be led (Close, after
// sealLocked committed or failed everything).
func (gc *groupCommit) closeLocked() {
	if gc.next != nil {
		gc.next.finish(ErrClosed)
		gc.next = nil
	}
}
