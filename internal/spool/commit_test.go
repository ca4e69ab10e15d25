package spool

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroupCommitSharesFsyncs checks that concurrent Appends with Sync share
// fsyncs: far fewer fsyncs than Appends, and every Append readable.
func TestGroupCommitSharesFsyncs(t *testing.T) {
	// fsyncs of 2 ms, as a real disk's, so that appenders arriving during
	// one find it in progress however loaded the machine is.
	ffs := &faultFS{syncDelay: 2 * time.Millisecond}
	s := openT(t, Settings{Sync: true, FS: ffs})
	const goroutines, each = 16, 30
	var failures atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for j := range each {
				if _, err := s.Append(nil, rec(g*each+j, 100)); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	frames, _, _ := s.Len()
	require.Equal(t, goroutines*each, frames)
	fsyncs := ffs.syncs.Load()
	t.Logf("%d appends, %d fsyncs", goroutines*each, fsyncs)
	assert.Less(t, fsyncs, int64(goroutines*each/2), "16 concurrent appenders share fsyncs")
	assert.Len(t, drain(t, s), goroutines*each)
}

// TestCloseWhileAppending closes the spool under concurrent Appends with
// Sync: each Append returns nil or ErrClosed, and every one that returned nil
// is read back after a reopen.
func TestCloseWhileAppending(t *testing.T) {
	dir := t.TempDir()
	set := Settings{Dir: dir, MaxBytes: 1 << 30, Sync: true}
	s, err := Open(set)
	require.NoError(t, err)
	var acked sync.Map
	var other atomic.Int64
	var started sync.WaitGroup
	var wg sync.WaitGroup
	for g := range 8 {
		started.Add(1)
		wg.Go(func() {
			for j := 0; ; j++ {
				n := g*1_000_000 + j
				_, err := s.Append(nil, rec(n, 64))
				if j == 0 {
					started.Done()
				}
				switch {
				case err == nil:
					acked.Store(n, true)
				case errors.Is(err, ErrClosed):
					return
				default:
					other.Add(1)
					return
				}
			}
		})
	}
	started.Wait()
	require.NoError(t, s.Close())
	wg.Wait()
	require.Zero(t, other.Load(), "only ErrClosed after Close")

	s = openT(t, set)
	found := map[int64]bool{}
	for _, f := range drain(t, s) {
		found[f.Time/1000] = true
	}
	count := 0
	acked.Range(func(k, _ any) bool {
		count++
		assert.True(t, found[int64(k.(int))], "record %d was acknowledged", k)
		return true
	})
	assert.Positive(t, count)
}

// TestLargeFrames reads frames bigger than the read window, and skips a
// corrupt one.
func TestLargeFrames(t *testing.T) {
	var probs problems
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 30, OnProblem: probs.add}
	s := openT(t, set)
	sizes := []int{windowSize - headerSize, windowSize, 3 * windowSize, 10, 5 * windowSize}
	var ids []ID
	for i, n := range sizes {
		var err error
		ids, err = s.Append(ids, rec(i, n))
		require.NoError(t, err)
	}
	got := drain(t, s)
	require.Len(t, got, len(sizes))
	for i, f := range got {
		requireFrame(t, f, i, sizes[i])
	}
	crash(s)
	flipByte(t, s.path(segmentName(ids[2].seg())), int64(ids[2].off())+headerSize+2*windowSize)
	s = openT(t, set)
	got = drain(t, s)
	require.Len(t, got, len(sizes)-1)
	for j, i := range []int{0, 1, 3, 4} {
		requireFrame(t, got[j], i, sizes[i])
	}
	assert.Equal(t, []string{"corrupt frame@" + itoa(int64(ids[2].off()))}, probs.kinds())
}

// TestSyncFsyncsWhatWasAppendedWithoutSync checks Spool.Sync on a spool
// without Settings.Sync: one fsync per segment written since the last Sync,
// errors returned, ErrClosed after Close.
func TestSyncFsyncsWhatWasAppendedWithoutSync(t *testing.T) {
	ffs := &faultFS{}
	s := openT(t, Settings{SegmentBytes: 1000, FS: ffs})
	for i := range 10 {
		_, err := s.Append(nil, rec(i, 400)) // two per segment: 5 segments
		require.NoError(t, err)
	}
	require.Zero(t, ffs.syncs.Load(), "no fsync without Sync")
	require.Equal(t, 5, s.Stats().Segments)
	require.NoError(t, s.Sync())
	assert.Equal(t, int64(5), ffs.syncs.Load(), "every segment written is fsynced once")
	require.NoError(t, s.Sync())
	assert.Equal(t, int64(6), ffs.syncs.Load(), "a second Sync fsyncs only the active segment")

	ffs.inject(fault{op: opSync, match: segSuffix, err: syscall.EIO, times: 1})
	require.ErrorIs(t, s.Sync(), syscall.EIO)
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Sync(), ErrClosed)
}
