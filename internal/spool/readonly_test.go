package spool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanAll reads every frame the scanner yields now, copying payloads.
func scanAll(t *testing.T, sc *Scanner) []Frame {
	t.Helper()
	var out []Frame
	for {
		f, ok, err := sc.Next(nil)
		require.NoError(t, err)
		if !ok {
			return out
		}
		out = append(out, f)
	}
}

// The scanner reads a folder a Spool holds open and appends to, across
// segments, and resumes from a saved Position without repeating a frame.
func TestScannerFollowsLiveSpoolAndResumes(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, SegmentBytes: 300})
	_, err := s.Append(nil, rec(0, 100), rec(1, 100), rec(2, 100))
	require.NoError(t, err)

	sc := NewScanner(nil, dir, Position{})
	defer sc.Close()
	got := scanAll(t, sc)
	require.Len(t, got, 3)
	for i, f := range got {
		requireFrame(t, f, i, 100)
	}
	saved := sc.Position()

	_, err = s.Append(nil, rec(3, 100), rec(4, 100))
	require.NoError(t, err)
	_, err = s.Append(nil, rec(5, 100))
	require.NoError(t, err)
	got = scanAll(t, sc)
	require.Len(t, got, 3, "the scanner sees later appends")
	requireFrame(t, got[0], 3, 100)

	resumed := NewScanner(nil, dir, saved)
	defer resumed.Close()
	got = scanAll(t, resumed)
	require.Len(t, got, 3, "a resumed scanner starts after the saved frame")
	for i, f := range got {
		requireFrame(t, f, i+3, 100)
	}
	nums, err := SegmentNumbers(nil, dir)
	require.NoError(t, err)
	assert.Greater(t, len(nums), 1, "the test must span segments")
}

// Damaged payloads and headers are skipped and reported; the frames around
// them are read; nothing is written to the folder.
func TestScannerSkipsDamage(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir})
	_, err := s.Append(nil, rec(0, 50), rec(1, 50), rec(2, 50), rec(3, 50))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	seg := filepath.Join(dir, segmentName(1))
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	fsz := int(frameSize(50))
	b[fsz+headerSize+3] ^= 0xff // payload of frame 1
	b[2*fsz+1] ^= 0xff          // header of frame 2
	require.NoError(t, os.WriteFile(seg, b, 0o600))
	before := listNames(t, dir)

	var p problems
	sc := NewScanner(nil, dir, Position{})
	sc.OnProblem = p.add
	defer sc.Close()
	got := scanAll(t, sc)
	require.Len(t, got, 2)
	requireFrame(t, got[0], 0, 50)
	requireFrame(t, got[1], 3, 50)
	assert.Equal(t, []string{"corrupt frame@78", "corrupt region@156"}, p.kinds())
	assert.Equal(t, before, listNames(t, dir), "the scanner writes nothing")
}

// A frame cut at the end of the newest segment is a write in progress: the
// scanner waits for it. The same cut in an older segment is a torn tail.
func TestScannerWaitsForCutFrameAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	whole := appendFrame(nil, rec(0, 40))
	second := appendFrame(nil, rec(1, 40))
	seg := filepath.Join(dir, segmentName(1))
	require.NoError(t, os.WriteFile(seg, append(whole, second[:30]...), 0o600))

	sc := NewScanner(nil, dir, Position{})
	defer sc.Close()
	got := scanAll(t, sc)
	require.Len(t, got, 1)
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(second[30:])
	require.NoError(t, err)
	require.NoError(t, f.Close())
	got = scanAll(t, sc)
	require.Len(t, got, 1, "the frame is read once whole")
	requireFrame(t, got[0], 1, 40)

	// A torn tail, then a newer segment: the tail is skipped.
	require.NoError(t, os.WriteFile(seg, append(append([]byte{}, whole...), second[:30]...), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(2)), appendFrame(nil, rec(2, 40)), 0o600))
	var p problems
	sc2 := NewScanner(nil, dir, Position{})
	sc2.OnProblem = p.add
	defer sc2.Close()
	got = scanAll(t, sc2)
	require.Len(t, got, 2)
	requireFrame(t, got[1], 2, 40)
	assert.Equal(t, []string{"torn tail@68"}, p.kinds())
}

// Frames acked in the folder's ack files are passed over.
func TestScannerSkipsAcked(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir})
	_, err := s.Append(nil, rec(0, 10), rec(1, 10), rec(2, 10))
	require.NoError(t, err)
	drain(t, s)
	require.NoError(t, s.Ack(makeID(1, frameSize(10))))
	sc := NewScanner(nil, dir, Position{})
	defer sc.Close()
	got := scanAll(t, sc)
	require.Len(t, got, 2)
	requireFrame(t, got[1], 2, 10)
}

func listNames(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		out[e.Name()] = fi.Size()
	}
	return out
}

// Count tells what a scanner starting at a position has left, without
// reading payloads.
func TestCountFromPosition(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Settings{Dir: dir, SegmentBytes: 200})
	_, err := s.Append(nil, rec(0, 100), rec(1, 100), rec(2, 100))
	require.NoError(t, err)
	frames, items, bytes, err := Count(nil, dir, Position{})
	require.NoError(t, err)
	assert.Equal(t, []int64{3, 1 + 2 + 3, 3 * frameSize(100)}, []int64{frames, items, bytes}) // rec(i) has i%7+1 items
	sc := NewScanner(nil, dir, Position{})
	defer sc.Close()
	_, ok, err := sc.Next(nil)
	require.NoError(t, err)
	require.True(t, ok)
	frames, items, bytes, err = Count(nil, dir, sc.Position())
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 2 + 3, 2 * frameSize(100)}, []int64{frames, items, bytes})
}
