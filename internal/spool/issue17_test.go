package spool

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the spool part of issue 17; each failed on the code
// before its fix.

// waitHeld waits until some goroutine holds mu for good (it is blocked
// inside its critical section).
func waitHeld(t *testing.T, try func() bool, unlock func()) {
	t.Helper()
	require.Eventually(t, func() bool {
		if try() {
			unlock()
			return false
		}
		return true
	}, 10*time.Second, time.Millisecond)
}

// TestFsyncErrorRacingARollFailsTheRound: the leader's fsync fails while an
// Append that rolls the segment waits to seal it; the seal's fsync on the
// same file then succeeds (Linux reports a writeback error once). The failed
// round must stay failed: its record is never read back, now or after a
// restart, and the counts do not include it.
func TestFsyncErrorRacingARollFailsTheRound(t *testing.T) {
	ffs := &faultFS{}
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, SegmentBytes: 200, Sync: true, FS: ffs}
	s := openT(t, set)
	_, err := s.Append(nil, rec(0, 50))
	require.NoError(t, err)
	release := make(chan struct{})
	ffs.inject(fault{op: opSync, match: segSuffix, err: syscall.EIO, times: 1, block: release})
	errA := make(chan error, 1)
	go func() { _, err := s.Append(nil, rec(1, 50)); errA <- err }()
	require.Eventually(t, func() bool { return ffs.hitCount(opSync) == 1 }, 10*time.Second, time.Millisecond)
	errB := make(chan error, 1)
	go func() { _, err := s.Append(nil, rec(2, 100)); errB <- err }() // rolls: 156+128 > 200
	waitHeld(t, s.mu.TryLock, s.mu.Unlock)
	close(release)
	require.ErrorIs(t, <-errA, syscall.EIO)
	bErr := <-errB
	want := []int{0}
	if bErr == nil {
		want = append(want, 2)
	}
	frames, _, _ := s.Len()
	assert.Equal(t, len(want), frames, "the failed round is not counted")
	var got []int
	for _, f := range drain(t, s) {
		got = append(got, int(f.Time/1000))
	}
	assert.Equal(t, want, got, "the failed round's record is not read back")
	require.NoError(t, s.Close())
	s = openT(t, set)
	got = got[:0]
	for _, f := range drain(t, s) {
		got = append(got, int(f.Time/1000))
	}
	assert.Equal(t, want, got, "nor replayed after a restart")
}

// TestFsyncErrorSeenBySyncFailsTheRound: Spool.Sync's fsync of the active
// segment fails while a round's own fsync runs; that round's fsync then
// succeeds. The round must fail all the same.
func TestFsyncErrorSeenBySyncFailsTheRound(t *testing.T) {
	ffs := &faultFS{}
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, Sync: true, FS: ffs}
	s := openT(t, set)
	_, err := s.Append(nil, rec(0, 50))
	require.NoError(t, err)
	release := make(chan struct{})
	ffs.inject(fault{op: opSync, match: segSuffix, times: 1, block: release}) // succeeds, late
	ffs.inject(fault{op: opSync, match: segSuffix, err: syscall.EIO, times: 1})
	errA := make(chan error, 1)
	go func() { _, err := s.Append(nil, rec(1, 50)); errA <- err }()
	require.Eventually(t, func() bool { return ffs.hitCount(opSync) == 1 }, 10*time.Second, time.Millisecond)
	require.ErrorIs(t, s.Sync(), syscall.EIO)
	close(release)
	require.ErrorIs(t, <-errA, syscall.EIO, "the fsync that covered the write failed")
	got := drain(t, s)
	require.Len(t, got, 1)
	requireFrame(t, got[0], 0, 50)
	require.NoError(t, s.Close())
	s = openT(t, set)
	got = drain(t, s)
	require.Len(t, got, 1, "the refused record is not replayed")
	requireFrame(t, got[0], 0, 50)
}

// TestPartialWriteWithFailedCutIsNeverReplayed: a short write leaves two
// whole frames of a refused Append in the file and the cut fails; they must
// not come back after a restart.
func TestPartialWriteWithFailedCutIsNeverReplayed(t *testing.T) {
	for _, sync := range []bool{false, true} {
		ffs := &faultFS{}
		set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, Sync: sync, FS: ffs}
		s := openT(t, set)
		_, err := s.Append(nil, rec(0, 50))
		require.NoError(t, err)
		ffs.inject(fault{op: opWrite, match: segSuffix, err: syscall.EIO, short: true, times: 1})
		ffs.inject(fault{op: opTruncate, match: segSuffix, err: syscall.EIO, times: 1})
		_, err = s.Append(nil, rec(1, 10), rec(2, 10), rec(3, 10), rec(4, 10)) // half: 2 frames
		require.ErrorIs(t, err, syscall.EIO)
		got := drain(t, s)
		require.Len(t, got, 1)
		require.NoError(t, s.Close())
		s = openT(t, set)
		got = drain(t, s)
		require.Len(t, got, 1, "sync=%v: refused frames are not replayed", sync)
		requireFrame(t, got[0], 0, 50)
		require.NoError(t, s.Close())
	}
}

// TestUnsyncedListIsBounded: without Sync, rolled segments that are deleted
// leave the list of segments to fsync.
func TestUnsyncedListIsBounded(t *testing.T) {
	s := openT(t, Settings{SegmentBytes: 100})
	for i := range 50 {
		_, err := s.Append(nil, rec(i, 80)) // one frame per segment
		require.NoError(t, err)
		f, ok, err := s.Next(nil)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.Ack(f.ID))
	}
	s.mu.Lock()
	n, live := len(s.unsynced), len(s.segs)
	s.mu.Unlock()
	assert.LessOrEqual(t, n, live, "only live segments wait for Sync")
}

// TestOpenFsyncsTheParentsOfCreatedFolders: folders Open creates are made
// durable by fsyncing their parents.
func TestOpenFsyncsTheParentsOfCreatedFolders(t *testing.T) {
	root := t.TempDir()
	ffs := &faultFS{}
	dir := filepath.Join(root, "a", "b")
	openT(t, Settings{Dir: dir, FS: ffs})
	ops := ffs.ops()
	assert.Contains(t, ops, "syncdir "+root)
	assert.Contains(t, ops, "syncdir "+filepath.Join(root, "a"))
}

// opAfter reports whether op occurs in ops after the first occurrence of first.
func opAfter(ops []string, first, op string) bool {
	i := slices.Index(ops, first)
	return i >= 0 && slices.Contains(ops[i+1:], op)
}

// TestSegmentDeletionIsFollowedByFolderFsync: with Sync, deleting a segment
// whose frames are all acked fsyncs the folder before Ack returns.
func TestSegmentDeletionIsFollowedByFolderFsync(t *testing.T) {
	ffs := &faultFS{}
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, SegmentBytes: 100, Sync: true, FS: ffs})
	_, err := s.Append(nil, rec(0, 80))
	require.NoError(t, err)
	_, err = s.Append(nil, rec(1, 80)) // rolls: segment 1 is sealed
	require.NoError(t, err)
	f, ok, err := s.Next(nil)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Ack(f.ID))
	seg1 := filepath.Join(dir, segmentName(1))
	assert.True(t, opAfter(ffs.ops(), "remove "+seg1, "syncdir "+dir), "ops: %v", ffs.ops())
}

// TestAckFileCreatedAtOpenIsFollowedByFolderFsync: with Sync, an ack file
// Open creates to record a bad region is followed by a folder fsync.
func TestAckFileCreatedAtOpenIsFollowedByFolderFsync(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir})
	_, err := s.Append(nil, rec(0, 10), rec(1, 10))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	appendBytes(t, filepath.Join(dir, segmentName(1)), []byte("RSP\x01torn"))
	ffs := &faultFS{}
	var probs problems
	openT(t, Settings{Dir: dir, Sync: true, FS: ffs, OnProblem: probs.add})
	require.Equal(t, []string{"torn tail@76"}, probs.kinds())
	ack := filepath.Join(dir, "0000000001"+ackSuffix)
	assert.True(t, opAfter(ffs.ops(), "create "+ack, "syncdir "+dir), "ops: %v", ffs.ops())
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestZeroFilledTailIsATornTail: after a power loss a file's size can be
// extended with zeros; that is a torn tail, not corruption, and a segment
// holding only zeros is not moved aside.
func TestZeroFilledTailIsATornTail(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, SegmentBytes: 100})
	_, err := s.Append(nil, rec(0, 10), rec(1, 10))
	require.NoError(t, err)
	_, err = s.Append(nil, rec(2, 90)) // segment 2
	require.NoError(t, err)
	require.NoError(t, s.Close())
	appendBytes(t, filepath.Join(dir, segmentName(1)), make([]byte, 4096))
	require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(3)), make([]byte, 300), 0o600))
	var probs problems
	s = openT(t, Settings{Dir: dir, OnProblem: probs.add})
	assert.Equal(t, []string{"torn tail@76", "torn tail@0"}, probs.kinds())
	got := drain(t, s)
	require.Len(t, got, 3)
	assert.Equal(t, int64(4096+300), s.Stats().TornBytes)
	assert.Zero(t, s.Stats().MovedAside)
	for _, n := range dirNames(t, dir) {
		assert.NotContains(t, n, "corrupt")
	}
}

// TestUnreadableSegmentWhileRunningIsMovedAside: Next moves a segment it
// cannot read (a read error, or the file vanished) aside, reports it with no
// lock held, and goes on with the next segment: no stall, no error loop.
func TestUnreadableSegmentWhileRunningIsMovedAside(t *testing.T) {
	ffs := &faultFS{}
	dir := t.TempDir()
	var s *Spool
	var probs problems
	var locked []string
	onProblem := func(p Problem) {
		for name, try := range map[string]func() bool{"mu": s.mu.TryLock, "rmu": s.rmu.TryLock, "ackMu": s.ackMu.TryLock} {
			if !try() {
				locked = append(locked, name)
				continue
			}
			map[string]func(){"mu": s.mu.Unlock, "rmu": s.rmu.Unlock, "ackMu": s.ackMu.Unlock}[name]()
		}
		probs.add(p)
	}
	s = openT(t, Settings{Dir: dir, SegmentBytes: 100, FS: ffs, OnProblem: onProblem})
	for i := range 4 {
		_, err := s.Append(nil, rec(i, 80)) // one frame per segment
		require.NoError(t, err)
	}
	ffs.inject(fault{op: opRead, match: segmentName(1), err: syscall.EIO, times: -1})
	require.NoError(t, os.Remove(filepath.Join(dir, segmentName(2))))
	f, ok, err := s.Next(nil)
	require.NoError(t, err, "an unreadable segment is not the caller's problem")
	require.True(t, ok)
	requireFrame(t, f, 2, 80)
	require.Len(t, probs.list, 2)
	for _, p := range probs.list {
		assert.Equal(t, ProblemMovedAside, p.Kind)
	}
	assert.Contains(t, probs.list[0].Path, ".corrupt-")
	assert.Empty(t, locked, "OnProblem runs with no spool lock held")
	frames, _, items := s.Len()
	assert.Equal(t, 2, frames, "the lost frames leave the counts")
	assert.Equal(t, int64(rec(2, 1).Items+rec(3, 1).Items), items)
	require.NoError(t, s.Ack(f.ID))
	requireFrame(t, drain(t, s)[0], 3, 80)
}

// TestHeaderDamageWhileRunningLeavesTheCounts: a frame header damaged after
// Open is found by Next as a bad region; the frame it held leaves the
// pending counts, so they return to 0 once the rest is acked, and the
// segment is reclaimed.
func TestHeaderDamageWhileRunningLeavesTheCounts(t *testing.T) {
	dir := t.TempDir()
	var probs problems
	s := openT(t, Settings{Dir: dir, SegmentBytes: 200, OnProblem: probs.add})
	ids, err := s.Append(nil, rec(0, 10), rec(1, 10), rec(2, 10), rec(3, 10))
	require.NoError(t, err)
	_, err = s.Append(nil, rec(4, 100)) // segment 2: segment 1 is sealed
	require.NoError(t, err)
	flipByte(t, filepath.Join(dir, segmentName(1)), int64(ids[1].off())+5)
	got := drain(t, s)
	require.Len(t, got, 4)
	require.Equal(t, []string{"corrupt region@38"}, probs.kinds())
	for _, f := range got {
		require.NoError(t, s.Ack(f.ID))
	}
	frames, bytes, items := s.Len()
	assert.Equal(t, [3]int64{0, 0, 0}, [3]int64{int64(frames), bytes, items})
	assert.NoFileExists(t, filepath.Join(dir, segmentName(1)), "reclaimed")
}

// TestSegmentDeletionFollowsOlderAcks: with Sync, a segment is deleted only
// once the acks of older segments are durable. Otherwise a power cut could
// keep the deletion of newer frames and lose the acks of older ones: frames
// a caller dropped oldest first (FuzzQueue's drop_oldest eviction, seed
// dropoldest-evicted-ack-order) came back after the restart while newer ones
// stayed gone, a state the spool never was in.
func TestSegmentDeletionFollowsOlderAcks(t *testing.T) {
	ffs := &faultFS{}
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, SegmentBytes: 140, Sync: true, FS: ffs})
	for _, r := range []Record{rec(0, 40), rec(1, 40), rec(2, 150), rec(3, 40)} {
		_, err := s.Append(nil, r) // segment 1: frames 0 and 1; 2: frame 2; 3: frame 3
		require.NoError(t, err)
	}
	frames := drain(t, s)
	require.Len(t, frames, 4)
	require.NoError(t, s.Ack(frames[1].ID)) // segment 1 stays: frame 0 is in flight
	require.NoError(t, s.Ack(frames[2].ID)) // segment 2 is done: deleted
	seg2 := filepath.Join(dir, segmentName(2))
	ack1 := newSegment(dir, 1).ackPath
	ops := ffs.ops()
	require.Contains(t, ops, "remove "+seg2)
	assert.True(t, opAfter(ops, "sync "+ack1, "remove "+seg2), "the older ack file is fsynced before the newer segment goes; ops: %v", ops)
}
