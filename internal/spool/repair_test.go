package spool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fiveRecords writes records 0..4 of 40 bytes into one segment, crashes, and
// returns the settings, the segment path and the frame offsets.
func fiveRecords(t *testing.T, probs *problems) (Settings, string, []int64) {
	t.Helper()
	set := Settings{Dir: t.TempDir(), MaxBytes: 1 << 20, Sync: true, OnProblem: probs.add}
	s := openT(t, set)
	ids, err := s.Append(nil, rec(0, 40), rec(1, 40), rec(2, 40))
	require.NoError(t, err)
	ids, err = s.Append(ids, rec(3, 40), rec(4, 40))
	require.NoError(t, err)
	crash(s)
	var offs []int64
	for _, id := range ids {
		offs = append(offs, int64(id.off()))
	}
	return set, filepath.Join(set.Dir, segmentName(ids[0].seg())), offs
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[off] ^= 0x5a
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// readIndexes drains s and returns the record numbers (payloads of 40 bytes).
func readIndexes(t *testing.T, s *Spool) []int {
	t.Helper()
	var out []int
	for _, f := range drain(t, s) {
		for i := range 5 {
			if string(f.Payload) == string(payloadFor(i, 40)) {
				out = append(out, i)
			}
		}
	}
	return out
}

func TestRepairTornTail(t *testing.T) {
	var probs problems
	set, path, offs := fiveRecords(t, &probs)
	cut := offs[3] + headerSize + 5
	require.NoError(t, os.Truncate(path, cut))
	s := openT(t, set)
	assert.Equal(t, []string{"torn tail@" + itoa(offs[3])}, probs.kinds())
	assert.Equal(t, cut-offs[3], s.Stats().TornBytes)
	frames, _, _ := s.Len()
	assert.Equal(t, 3, frames)
	_, err := s.Append(nil, rec(4, 40))
	require.NoError(t, err, "appends go on in a new segment")
	assert.Equal(t, []int{0, 1, 2, 4}, readIndexes(t, s))
	require.NoError(t, s.Close())

	probs = problems{}
	s = openT(t, set)
	assert.Empty(t, probs.kinds(), "a problem is reported once")
	assert.Equal(t, []int{0, 1, 2, 4}, readIndexes(t, s), "the torn segment still holds 0..2; the original file was never truncated")
	require.NoError(t, s.Close())
}

func itoa(n int64) string { return strconvItoa(n) }

func TestRepairCutAtFrameBoundaryIsSilent(t *testing.T) {
	var probs problems
	set, path, offs := fiveRecords(t, &probs)
	require.NoError(t, os.Truncate(path, offs[2]))
	s := openT(t, set)
	assert.Empty(t, probs.kinds())
	assert.Equal(t, []int{0, 1}, readIndexes(t, s))
}

func TestRepairCorruptPayloadIsSkippedAndCounted(t *testing.T) {
	var probs problems
	set, path, offs := fiveRecords(t, &probs)
	flipByte(t, path, offs[2]+headerSize+7)
	s := openT(t, set)
	assert.Empty(t, probs.kinds(), "payloads are checked by Next, not Open")
	frames, _, _ := s.Len()
	assert.Equal(t, 5, frames)
	assert.Equal(t, []int{0, 1, 3, 4}, readIndexes(t, s))
	require.Len(t, probs.list, 1)
	p := probs.list[0]
	assert.Equal(t, ProblemCorruptFrame, p.Kind)
	assert.Equal(t, offs[2], p.Offset)
	assert.Equal(t, int64(rec(2, 40).Items), p.Items)
	st := s.Stats()
	assert.Equal(t, int64(1), st.CorruptFrames)
	assert.Equal(t, frameSize(40), st.CorruptBytes)
	assert.Equal(t, int64(rec(2, 40).Items), st.CorruptItems)
	assert.Equal(t, 4, st.Frames, "the corrupt frame left Len")
	require.NoError(t, s.Close())

	probs = problems{}
	s = openT(t, set)
	assert.Equal(t, []int{0, 1, 3, 4}, readIndexes(t, s))
	assert.Empty(t, probs.kinds(), "reported once")
}

func TestRepairCorruptHeaderSkipsOneFrame(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame int
		byteN int64
		want  []int
	}{
		{"magic", 2, 0, []int{0, 1, 3, 4}},
		{"length", 1, 5, []int{0, 2, 3, 4}},
		{"first frame", 0, 9, []int{1, 2, 3, 4}},
		{"last frame", 4, 22, []int{0, 1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var probs problems
			set, path, offs := fiveRecords(t, &probs)
			flipByte(t, path, offs[tc.frame]+tc.byteN)
			s := openT(t, set)
			assert.Equal(t, []string{"corrupt region@" + itoa(offs[tc.frame])}, probs.kinds())
			assert.Equal(t, tc.want, readIndexes(t, s))
			st := s.Stats()
			assert.Equal(t, int64(1), st.CorruptFrames)
			assert.Equal(t, frameSize(40), st.CorruptBytes)
		})
	}
}

func TestRepairMovesUnusableSegmentAside(t *testing.T) {
	var probs problems
	dir := t.TempDir()
	garbage := filepath.Join(dir, segmentName(3))
	require.NoError(t, os.WriteFile(garbage, []byte(strings.Repeat("not a frame ", 20)), 0o600))
	empty := filepath.Join(dir, segmentName(4))
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	orphan := filepath.Join(dir, "0000000002.ack")
	require.NoError(t, os.WriteFile(orphan, []byte("12345678"), 0o600))
	other := filepath.Join(dir, "README")
	require.NoError(t, os.WriteFile(other, []byte("kept"), 0o600))

	s := openT(t, Settings{Dir: dir, OnProblem: probs.add})
	require.Len(t, probs.list, 1)
	p := probs.list[0]
	assert.Equal(t, ProblemMovedAside, p.Kind)
	assert.True(t, strings.HasPrefix(p.Path, garbage+".corrupt-"), p.Path)
	require.EqualError(t, p.Err, "no valid frame")
	assert.FileExists(t, p.Path)
	assert.NoFileExists(t, garbage)
	assert.NoFileExists(t, empty, "an empty segment is removed")
	assert.NoFileExists(t, orphan, "an ack file without its segment is removed")
	assert.FileExists(t, other, "files that are not the spool's are left alone")
	assert.Equal(t, int64(1), s.Stats().MovedAside)
	ids, err := s.Append(nil, rec(0, 1))
	require.NoError(t, err)
	assert.Equal(t, uint32(5), ids[0].seg(), "new segments number past every name seen")
}

// TestRepairBadHeaderAfterAnAckedFramesBadHeader damages the header of a
// frame that is done (acked, or skipped as a corrupt payload), reopens, then
// damages the header of the next, pending frame and reopens again: the first
// region is nobody's loss and stays silent, but the second frame is lost and
// must be reported, not folded into the first frame's region.
func TestRepairBadHeaderAfterAnAckedFramesBadHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		done func(t *testing.T, s *Spool, path string, offs []int64)
	}{
		{"acked", func(t *testing.T, s *Spool, _ string, _ []int64) {
			f, ok, err := s.Next(nil)
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, s.Ack(f.ID))
		}},
		{"corrupt payload", func(t *testing.T, s *Spool, path string, offs []int64) {
			flipByte(t, path, offs[0]+headerSize+3)
			assert.Equal(t, []int{1, 2, 3, 4}, readIndexes(t, s))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var probs problems
			set, path, offs := fiveRecords(t, &probs)
			s := openT(t, set)
			tc.done(t, s, path, offs)
			require.NoError(t, s.Close())

			flipByte(t, path, offs[0]+20) // the done frame's payload CRC
			probs = problems{}
			s = openT(t, set)
			assert.Empty(t, probs.kinds(), "the done frame's bad header loses nothing")
			assert.Equal(t, []int{1, 2, 3, 4}, readIndexes(t, s))
			require.NoError(t, s.Close())

			flipByte(t, path, offs[1]+5) // the pending frame's length
			probs = problems{}
			s = openT(t, set)
			assert.Equal(t, []string{"corrupt region@" + itoa(offs[1])}, probs.kinds())
			assert.Equal(t, []int{2, 3, 4}, readIndexes(t, s))
			assert.Equal(t, int64(1), s.Stats().CorruptFrames)
		})
	}
}
