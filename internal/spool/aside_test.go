package spool

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInFlightFramesOfAMovedAsideSegment: frames handed out (or appended
// Held) before their segment is moved aside stay in flight and can be acked;
// the problem reports exactly the frames Next had not yielded, and Len and
// Unread follow.
func TestInFlightFramesOfAMovedAsideSegment(t *testing.T) {
	ffs := &faultFS{}
	var probs problems
	s := openT(t, Settings{SegmentBytes: 1000, FS: ffs, OnProblem: probs.add})
	held := Record{Payload: payloadFor(9, 10), Items: 5, Held: true}
	ids, err := s.Append(nil, rec(0, 10), held, rec(2, 10), rec(3, 10))
	require.NoError(t, err)
	f, ok, err := s.Next(nil)
	require.NoError(t, err)
	require.True(t, ok)
	requireFrame(t, f, 0, 10)
	frames, items := s.Unread()
	assert.Equal(t, 2, frames, "records 2 and 3; 1 is Held")
	assert.Equal(t, int64(rec(2, 1).Items+rec(3, 1).Items), items)

	s.rmu.Lock()
	s.reader.w.reset(s.reader.rf) // as if the window had to read again
	s.rmu.Unlock()
	ffs.inject(fault{op: opRead, match: segSuffix, err: syscall.EIO, times: -1})
	_, ok, err = s.Next(nil)
	require.NoError(t, err)
	assert.False(t, ok)
	ffs.clear()
	require.Len(t, probs.list, 1)
	p := probs.list[0]
	assert.Equal(t, ProblemMovedAside, p.Kind)
	assert.Equal(t, [2]int64{2, int64(rec(2, 1).Items + rec(3, 1).Items)}, [2]int64{int64(p.Frames), p.Items})
	frames, items = s.Unread()
	assert.Equal(t, [2]int64{0, 0}, [2]int64{int64(frames), items})
	n, _, _ := s.Len()
	assert.Equal(t, 2, n, "records 0 and 1 are still in flight")
	require.NoError(t, s.Ack(f.ID))
	require.NoError(t, s.Ack(ids[1]))
	n, _, _ = s.Len()
	assert.Zero(t, n)
	assert.Zero(t, s.Stats().InFlight)
	_, err = s.Append(nil, rec(4, 10))
	require.NoError(t, err, "appends go on in a new segment")
	got := drain(t, s)
	require.Len(t, got, 1)
	requireFrame(t, got[0], 4, 10)
}
