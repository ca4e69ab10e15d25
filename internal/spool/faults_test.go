package spool

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accounting is the part of Stats a failed Append must not change.
func accounting(s *Spool) [4]int64 {
	st := s.Stats()
	return [4]int64{int64(st.Frames), st.Bytes, st.Items, st.DiskBytes}
}

func segmentSizes(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	matches, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	require.NoError(t, err)
	for _, m := range matches {
		fi, err := os.Stat(m)
		require.NoError(t, err)
		out[filepath.Base(m)] = fi.Size()
	}
	return out
}

// TestAppendFaults fails one write or fsync in several ways and checks the
// error, that no frame of the failed Append is left behind or read back,
// that the accounting is unchanged, and that the spool works again once the
// fault clears, also across a restart.
func TestAppendFaults(t *testing.T) {
	for _, tc := range []appendFaultCase{
		{"write ENOSPC", fault{op: opWrite, err: syscall.ENOSPC}, syscall.ENOSPC},
		{"write EIO", fault{op: opWrite, err: syscall.EIO}, syscall.EIO},
		{"short write", fault{op: opWrite, err: io.ErrShortWrite, short: true}, io.ErrShortWrite},
		{"short write ENOSPC", fault{op: opWrite, err: syscall.ENOSPC, short: true}, syscall.ENOSPC},
		{"short write, truncate fails too", fault{op: opWrite, err: syscall.EIO, short: true}, syscall.EIO},
		{"fsync EIO", fault{op: opSync, err: syscall.EIO}, syscall.EIO},
		{"fsync ENOSPC", fault{op: opSync, err: syscall.ENOSPC}, syscall.ENOSPC},
		{"fsync EIO, truncate fails too", fault{op: opSync, err: syscall.EIO}, syscall.EIO},
		{"new segment ENOSPC", fault{op: opOpen, match: segmentName(2), err: syscall.ENOSPC}, syscall.ENOSPC},
		{"folder fsync EIO", fault{op: opSyncDir, err: syscall.EIO}, syscall.EIO},
	} {
		t.Run(tc.name, tc.run)
	}
}

// appendFaultCase is one case of TestAppendFaults.
type appendFaultCase struct {
	name string
	ft   fault
	want error
}

func (tc appendFaultCase) run(t *testing.T) {
	ffs := &faultFS{}
	var probs problems
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, SegmentBytes: 200, Sync: true, FS: ffs, OnProblem: probs.add}
	s := openT(t, set)
	_, err := s.Append(nil, rec(0, 50), rec(1, 50)) // 156 bytes in segment 1
	require.NoError(t, err)
	before := accounting(s)
	sizes := segmentSizes(t, set.Dir)

	tc.ft.times = 1
	if tc.ft.op == opWrite || tc.ft.op == opSync {
		tc.ft.match = ".seg"
	}
	ffs.inject(tc.ft)
	if tc.name == "short write, truncate fails too" || tc.name == "fsync EIO, truncate fails too" {
		ffs.inject(fault{op: opTruncate, match: ".seg", err: syscall.EIO, times: 1})
	}
	small := 10 // 156+38 bytes fit segment 1
	if tc.ft.op == opOpen || tc.ft.op == opSyncDir {
		small = 60 // 156+88 bytes need segment 2
	}
	_, err = s.Append(nil, rec(2, small))
	require.ErrorIs(t, err, tc.want)
	assert.Equal(t, before, accounting(s), "accounting unchanged")
	if tc.name != "short write, truncate fails too" && tc.name != "fsync EIO, truncate fails too" {
		assert.Equal(t, sizes, segmentSizes(t, set.Dir), "no bytes of the failed Append are left on disk")
	}
	got := drain(t, s)
	require.Len(t, got, 2, "only the acknowledged records are read back")
	requireFrame(t, got[0], 0, 50)
	requireFrame(t, got[1], 1, 50)

	// The fault has cleared: appends work again.
	_, err = s.Append(nil, rec(3, 20))
	require.NoError(t, err)
	got = drain(t, s)
	require.Len(t, got, 1)
	requireFrame(t, got[0], 3, 20)
	require.NoError(t, s.Close())

	// After a restart exactly the acknowledged records come back, in order.
	s = openT(t, set)
	got = drain(t, s)
	require.Len(t, got, 3)
	requireFrame(t, got[0], 0, 50)
	requireFrame(t, got[1], 1, 50)
	requireFrame(t, got[2], 3, 20)
	for _, p := range probs.list {
		assert.Equal(t, ProblemTornTail, p.Kind, "only a cut that could not be undone shows, as a torn tail: %v", p)
	}
}

// TestFsyncFailureFailsTheWholeRound checks that every Append whose frames an
// fsync failure leaves unproven gets the error: the one whose fsync failed
// and those that wrote while it ran. Later Appends succeed, and only their
// records are read back.
func TestFsyncFailureFailsTheWholeRound(t *testing.T) {
	ffs := &faultFS{}
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, Sync: true, FS: ffs}
	s := openT(t, set)
	release := make(chan struct{})
	ffs.inject(fault{op: opSync, match: ".seg", err: syscall.EIO, times: 1, block: release})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			_, err := s.Append(nil, rec(i, 10))
			errs <- err
		})
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.commit.writeSeq == 3
	}, 10*time.Second, time.Millisecond, "all three wrote while the first fsync hangs")
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, syscall.EIO)
	}
	frames, _, _ := s.Len()
	assert.Equal(t, 0, frames)
	ids, err := s.Append(nil, rec(3, 10))
	require.NoError(t, err)
	assert.Equal(t, uint32(2), ids[0].seg(), "the segment whose fsync failed was sealed")
	got := drain(t, s)
	require.Len(t, got, 1)
	requireFrame(t, got[0], 3, 10)
	require.NoError(t, s.Close())
	s = openT(t, set)
	got = drain(t, s)
	require.Len(t, got, 1, "the failed records are not replayed")
	requireFrame(t, got[0], 3, 10)
}

func TestRenameFaultLeavesSegmentInPlace(t *testing.T) {
	for _, errno := range []error{syscall.EIO, syscall.ENOSPC} {
		t.Run(errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			bad := filepath.Join(dir, segmentName(1))
			require.NoError(t, os.WriteFile(bad, []byte("garbage garbage garbage garbage garbage"), 0o600))
			ffs := &faultFS{}
			ffs.inject(fault{op: opRename, match: ".seg", err: errno, times: -1})
			var probs problems
			s := openT(t, Settings{Dir: dir, FS: ffs, OnProblem: probs.add})
			require.Len(t, probs.list, 1)
			p := probs.list[0]
			assert.Equal(t, ProblemMovedAside, p.Kind)
			assert.Equal(t, bad, p.Path, "the rename failed: the file is where it was")
			require.ErrorIs(t, p.Err, errno)
			assert.FileExists(t, bad)
			ids, err := s.Append(nil, rec(0, 5))
			require.NoError(t, err)
			assert.Equal(t, uint32(2), ids[0].seg(), "the bad segment is not written to")
			require.NoError(t, s.Close())

			ffs.clear()
			probs = problems{}
			s = openT(t, Settings{Dir: dir, FS: ffs, OnProblem: probs.add})
			require.Len(t, probs.list, 1, "tried again at the next Open")
			assert.NotEqual(t, bad, probs.list[0].Path)
			assert.NoFileExists(t, bad)
			got := drain(t, s)
			require.Len(t, got, 1)
			requireFrame(t, got[0], 0, 5)
		})
	}
}

func TestUnopenableSegmentIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir})
	_, err := s.Append(nil, rec(0, 5))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	ffs := &faultFS{}
	ffs.inject(fault{op: opOpen, match: segmentName(1), err: syscall.EIO, times: 1})
	var probs problems
	s = openT(t, Settings{Dir: dir, FS: ffs, OnProblem: probs.add})
	require.Len(t, probs.list, 1)
	assert.Equal(t, ProblemMovedAside, probs.list[0].Kind)
	require.ErrorIs(t, probs.list[0].Err, syscall.EIO)
	assert.Empty(t, drain(t, s))
}

func TestAckWriteFault(t *testing.T) {
	ffs := &faultFS{}
	set := Settings{Dir: t.TempDir(), Sync: true, FS: ffs}
	s := openT(t, set)
	_, err := s.Append(nil, rec(0, 5), rec(1, 5))
	require.NoError(t, err)
	got := drain(t, s)
	ffs.inject(fault{op: opWrite, match: ".ack", err: syscall.ENOSPC, times: 1})
	err = s.Ack(got[0].ID)
	require.ErrorIs(t, err, syscall.ENOSPC)
	frames, _, _ := s.Len()
	assert.Equal(t, 1, frames, "the frame is done for this process")
	require.NoError(t, s.Ack(got[1].ID))
	require.NoError(t, s.Close())
	s = openT(t, set)
	got = drain(t, s)
	require.Len(t, got, 1, "the ack that could not be written yields its frame again (at-least-once)")
	requireFrame(t, got[0], 0, 5)
}

func TestCloseReportsFsyncFailure(t *testing.T) {
	ffs := &faultFS{}
	s, err := Open(Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, Sync: true, FS: ffs})
	require.NoError(t, err)
	_, err = s.Append(nil, rec(0, 5))
	require.NoError(t, err)
	f, _, _ := s.Next(nil)
	require.NoError(t, s.Ack(f.ID))
	ffs.inject(fault{op: opSync, match: ".ack", err: syscall.EIO, times: 1})
	err = s.Close()
	require.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "fsync ack file")
	require.NoError(t, s.Close(), "a second Close")
}

// TestReadFaultMovesTheSegmentAside checks that a read error while running
// moves the segment aside (the active one here) with exact counts and no
// error to the caller of Next, that appends go on in a new segment, and
// that Open moves a segment it cannot read aside.
func TestReadFaultMovesTheSegmentAside(t *testing.T) {
	ffs := &faultFS{}
	var probs problems
	set := Settings{Dir: t.TempDir(), FS: ffs, OnProblem: probs.add}
	s := openT(t, set)
	_, err := s.Append(nil, rec(0, 10), rec(1, 10))
	require.NoError(t, err)
	ffs.inject(fault{op: opRead, match: segSuffix, err: syscall.EIO, times: 1})
	_, ok, err := s.Next(nil)
	require.NoError(t, err)
	assert.False(t, ok)
	require.Len(t, probs.list, 1)
	p := probs.list[0]
	assert.Equal(t, ProblemMovedAside, p.Kind)
	require.ErrorIs(t, p.Err, syscall.EIO)
	assert.Equal(t, 2, p.Frames)
	assert.Equal(t, int64(rec(0, 1).Items+rec(1, 1).Items), p.Items)
	frames, _, items := s.Len()
	assert.Equal(t, [2]int64{0, 0}, [2]int64{int64(frames), items})
	ids, err := s.Append(nil, rec(2, 10))
	require.NoError(t, err)
	assert.Equal(t, uint32(2), ids[0].seg(), "a new segment")
	got := drain(t, s)
	require.Len(t, got, 1)
	requireFrame(t, got[0], 2, 10)
	require.NoError(t, s.Close())

	probs = problems{}
	ffs.inject(fault{op: opRead, match: segSuffix, err: syscall.EIO, times: 1})
	s = openT(t, set)
	require.Len(t, probs.list, 1)
	assert.Equal(t, ProblemMovedAside, probs.list[0].Kind)
	require.ErrorIs(t, probs.list[0].Err, syscall.EIO)
	frames, _, _ = s.Len()
	assert.Zero(t, frames)
}
