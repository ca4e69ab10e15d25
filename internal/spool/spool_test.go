package spool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendNextAckAcrossReopen(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(map[bool]string{false: "nosync", true: "sync"}[sync], func(t *testing.T) {
			dir := t.TempDir()
			set := Settings{Dir: dir, MaxBytes: 1 << 20, SegmentBytes: 300, Sync: sync}
			s := openT(t, set)
			var ids []ID
			var err error
			for i := range 10 {
				ids, err = s.Append(ids, rec(i, 50+i))
				require.NoError(t, err)
			}
			require.Len(t, ids, 10)
			frames, bytes, items := s.Len()
			assert.Equal(t, 10, frames)
			var wantBytes, wantItems int64
			for i := range 10 {
				wantBytes += frameSize(50 + i)
				wantItems += int64(rec(i, 1).Items)
			}
			assert.Equal(t, wantBytes, bytes)
			assert.Equal(t, wantItems, items)
			assert.Greater(t, s.Stats().Segments, 2, "SegmentBytes 300 rolls every few records")

			got := drain(t, s)
			require.Len(t, got, 10)
			for i, f := range got {
				requireFrame(t, f, i, 50+i)
				assert.Equal(t, ids[i], f.ID)
			}
			assert.Equal(t, 10, s.Stats().InFlight)
			// Ack out of order: even records, then 9 and 7.
			for _, i := range []int{8, 0, 4, 2, 6, 9, 7} {
				require.NoError(t, s.Ack(got[i].ID))
			}
			frames, _, _ = s.Len()
			assert.Equal(t, 3, frames, "1, 3 and 5 are pending (in flight)")
			require.NoError(t, s.Close())
			require.NoError(t, s.Close(), "Close twice")

			s = openT(t, set)
			got = drain(t, s)
			require.Len(t, got, 3, "the frames in flight at Close come back; acked ones do not")
			for j, i := range []int{1, 3, 5} {
				requireFrame(t, got[j], i, 50+i)
			}
			for _, f := range got {
				require.NoError(t, s.Ack(f.ID))
			}
			st := s.Stats()
			assert.Equal(t, 0, st.Frames)
			assert.Equal(t, int64(0), st.DiskBytes, "every segment was reclaimed")
			assert.Equal(t, 0, st.Segments)
			names := dirNames(t, dir)
			assert.Equal(t, []string{lockName}, names, "no segment or ack file is left")
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestNextSeesLaterAppends(t *testing.T) {
	s := openT(t, Settings{})
	_, ok, err := s.Next(nil)
	require.NoError(t, err)
	assert.False(t, ok, "empty spool")
	_, err = s.Append(nil, rec(1, 10))
	require.NoError(t, err)
	f, ok, err := s.Next(nil)
	require.NoError(t, err)
	require.True(t, ok)
	requireFrame(t, f, 1, 10)
	_, ok, _ = s.Next(nil)
	assert.False(t, ok, "each frame once")
	_, err = s.Append(nil, rec(2, 10))
	require.NoError(t, err)
	f, ok, _ = s.Next(f.Payload)
	require.True(t, ok)
	requireFrame(t, f, 2, 10)
}

func TestHeldRecordsAreNotYieldedButAckable(t *testing.T) {
	for _, sync := range []bool{false, true} {
		dir := t.TempDir()
		set := Settings{Dir: dir, Sync: sync}
		s := openT(t, set)
		ids, err := s.Append(nil, rec(0, 10), Record{Payload: payloadFor(1, 10), Items: 2, Time: 1000, Held: true}, rec(2, 10))
		require.NoError(t, err)
		got := drain(t, s)
		require.Len(t, got, 2)
		requireFrame(t, got[0], 0, 10)
		requireFrame(t, got[1], 2, 10)
		assert.Equal(t, 3, s.Stats().InFlight)
		require.NoError(t, s.Ack(ids[1]))
		require.NoError(t, s.Ack(got[0].ID))
		frames, _, _ := s.Len()
		assert.Equal(t, 1, frames)
		require.NoError(t, s.Close())

		s = openT(t, set)
		got = drain(t, s)
		require.Len(t, got, 1)
		requireFrame(t, got[0], 2, 10)
		require.NoError(t, s.Ack(got[0].ID))
		require.NoError(t, s.Close())

		// Held and never acked: pending after a restart.
		s = openT(t, set)
		_, err = s.Append(nil, Record{Payload: payloadFor(5, 10), Items: 6, Time: 5000, Held: true})
		require.NoError(t, err)
		assert.Empty(t, drain(t, s))
		require.NoError(t, s.Close())
		s = openT(t, set)
		got = drain(t, s)
		require.Len(t, got, 1)
		requireFrame(t, got[0], 5, 10)
		require.NoError(t, s.Close())
	}
}

func TestAppendErrors(t *testing.T) {
	s := openT(t, Settings{MaxBytes: 1000, SegmentBytes: 400})
	_, err := s.Append(nil, rec(0, 500))
	require.NoError(t, err)
	_, err = s.Append(nil, rec(1, 500))
	require.ErrorIs(t, err, ErrFull)
	frames, _, _ := s.Len()
	assert.Equal(t, 1, frames, "a refused Append adds nothing")
	_, err = s.Append(nil, rec(1, 400))
	require.NoError(t, err, "fits: 528 + 428 <= 1000")
	// Reclaiming frees budget: ack the first segment's frame.
	f, ok, err := s.Next(nil)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Ack(f.ID))
	assert.Equal(t, frameSize(400), s.Stats().DiskBytes)
	_, err = s.Append(nil, rec(2, 500))
	require.NoError(t, err)

	_, err = s.Append(nil, Record{Payload: make([]byte, maxPayload+1)})
	require.ErrorIs(t, err, ErrTooLarge)

	ids, err := s.Append([]ID{7})
	require.NoError(t, err)
	assert.Equal(t, []ID{7}, ids, "no records, no change")

	require.NoError(t, s.Close())
	_, err = s.Append(nil, rec(3, 1))
	require.ErrorIs(t, err, ErrClosed)
	_, _, err = s.Next(nil)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Ack(f.ID), ErrClosed)
}

func TestAckPanicsOnUnknownID(t *testing.T) {
	s := openT(t, Settings{})
	ids, err := s.Append(nil, rec(0, 1))
	require.NoError(t, err)
	assert.PanicsWithValue(t, "spool: Ack(1:0) of a frame that is not in flight", func() { _ = s.Ack(ids[0]) })
	f, _, _ := s.Next(nil)
	require.NoError(t, s.Ack(f.ID))
	assert.Panics(t, func() { _ = s.Ack(f.ID) }, "acked twice")
}

func TestOpenSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		set  Settings
		want string
	}{
		{"no dir", Settings{MaxBytes: 1}, "spool: dir must not be empty"},
		{"max bytes", Settings{Dir: dir, MaxBytes: -1}, "spool: max bytes must be greater than 0, got -1"},
		{"segment bytes", Settings{Dir: dir, MaxBytes: 1, SegmentBytes: 2 << 30}, "spool: segment bytes must be between 1 and 1073741824, got 2147483648"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.set)
			require.EqualError(t, err, tc.want)
		})
	}
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := Open(Settings{Dir: filepath.Join(file, "sub"), MaxBytes: 1})
	require.ErrorContains(t, err, `create spool folder "`+file+`/sub"`)
}

func TestSecondOpenOfFolderFails(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir})
	_, err := Open(Settings{Dir: dir, MaxBytes: 1})
	require.ErrorIs(t, err, ErrLocked)
	require.EqualError(t, err, `spool folder "`+dir+`" is in use by another spool (in this process or another; give each its own folder): spool: folder in use`)
	require.NoError(t, s.Close())
	s2, err := Open(Settings{Dir: dir, MaxBytes: 1})
	require.NoError(t, err, "Close releases the lock")
	require.NoError(t, s2.Close())
}

// TestAckedActiveSegmentIsReclaimed: the active segment is deleted once
// every frame in it is acked, at the next Append that needs its space or once
// it is large, instead of holding the space until it fills and rolls.
func TestAckedActiveSegmentIsReclaimed(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(map[bool]string{false: "nosync", true: "sync"}[sync], func(t *testing.T) {
			dir := t.TempDir()
			// The budget holds 3 frames; a segment could hold 100.
			s := openT(t, Settings{Dir: dir, MaxBytes: 3 * frameSize(100), SegmentBytes: 100 * frameSize(100), Sync: sync})
			for round := range 5 {
				for i := range 3 {
					_, err := s.Append(nil, rec(round*3+i, 100))
					require.NoError(t, err, "round %d", round)
				}
				_, err := s.Append(nil, rec(99, 100))
				require.ErrorIs(t, err, ErrFull, "the budget holds 3 frames")
				for _, f := range drain(t, s) {
					require.NoError(t, s.Ack(f.ID))
				}
			}
			require.NoError(t, s.Sync())
			// The last round's segment stays until the next Append needs room.
			require.LessOrEqual(t, s.Stats().DiskBytes, 3*frameSize(100))
			require.LessOrEqual(t, len(dirNames(t, dir)), 3, "LOCK and one segment with its ack file: %v", dirNames(t, dir))
		})
	}
}
