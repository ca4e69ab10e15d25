package spool

import (
	"errors"
	"syscall"

	"github.com/stretchr/testify/require"
)

// The faults FuzzSpool injects while the spool runs, and the accounting
// identity it checks after every step.

// faultyOp runs one operation while the file system fails, picked by the
// next byte: an append whose write or fsync fails, an append whose short
// write cannot be cut either, Spool.Sync meeting an fsync error (then an
// append to the same file), a Next that cannot read its segment, or a
// frame header damaged on disk while the spool runs.
func (m *model) faultyOp(step int) {
	switch k := int(m.byte()) % 7; k {
	case 6:
		m.damageWhileRunning(step)
	case 3:
		m.shortWriteCutFails()
	case 4:
		m.unreadable(step)
	case 5:
		m.syncFails()
	default:
		m.faultyAppend(k)
	}
}

// faultyAppend appends one record while a write or fsync fails: Append must
// fail and change nothing the model can see.
func (m *model) faultyAppend(k int) {
	faults := []fault{
		{op: opWrite, err: syscall.ENOSPC},
		{op: opWrite, err: syscall.EIO, short: true},
		{op: opSync, err: syscall.EIO},
	}
	ft := faults[k]
	if ft.op == opSync && !m.set.Sync {
		ft = faults[0]
	}
	ft.match, ft.times = segSuffix, 1
	m.ffs.inject(ft)
	defer m.ffs.clear()
	size := int(m.byte())
	_, err := m.s.Append(nil, Record{Payload: make([]byte, size), Items: 1})
	if errors.Is(err, ErrFull) {
		return
	}
	require.ErrorIs(m.t, err, ft.err)
}

// shortWriteCutFails appends several records whose write stops half way
// (whole frames reach the file) and whose cut fails: none of them may ever
// be yielded, now or after a restart.
func (m *model) shortWriteCutFails() {
	m.ffs.inject(fault{op: opWrite, match: segSuffix, err: syscall.EIO, short: true, times: 1})
	m.ffs.inject(fault{op: opTruncate, match: segSuffix, err: syscall.EIO, times: 1})
	defer m.ffs.clear()
	recs := make([]Record, 2+int(m.byte())%3)
	for j := range recs {
		recs[j] = Record{Payload: payloadFor(j, int(m.byte())%64), Items: 9}
	}
	_, err := m.s.Append(nil, recs...)
	if errors.Is(err, ErrFull) {
		return
	}
	require.ErrorIs(m.t, err, syscall.EIO)
}

// syncFails runs Spool.Sync while an fsync of a segment fails, then appends
// one record: with Settings.Sync an Append to the file whose fsync failed
// fails too (its fsync can no longer prove anything); a refused record is
// never yielded.
func (m *model) syncFails() {
	m.ffs.inject(fault{op: opSync, match: segSuffix, err: syscall.EIO, times: 1})
	_ = m.s.Sync()
	m.ffs.clear()
	rec := Record{Payload: payloadFor(len(m.recs), int(m.byte())), Items: 3, Time: int64(len(m.recs))}
	ids, err := m.s.Append(nil, rec)
	switch {
	case errors.Is(err, ErrFull):
	case err != nil:
		require.True(m.t, m.set.Sync, "only an fsync can fail the append: %v", err)
		require.ErrorIs(m.t, err, syscall.EIO)
	default:
		m.accept([]Record{rec}, ids)
	}
}

// unreadable runs Next while the segment of the next record cannot be read.
// Next may still serve it from its read window; if not, it moves the segment
// aside and reports exactly the records it held that Next had not yielded.
func (m *model) unreadable(step int) {
	want := m.expectNext()
	if want == nil {
		return
	}
	seg := want.id.seg()
	m.ffs.inject(fault{op: opRead, match: segmentName(seg), err: syscall.EIO, times: -1})
	m.probs = nil
	f, ok, err := m.s.Next(nil)
	m.ffs.clear()
	require.NoError(m.t, err, "step %d: Next never fails on a bad file", step)
	for _, p := range m.probs {
		require.Equal(m.t, ProblemMovedAside, p.Kind, "step %d: %v", step, p)
		require.Contains(m.t, p.Path, segmentName(seg), "step %d: %v", step, p)
		var lost counts
		for _, r := range m.inSeg(seg) {
			switch {
			case r.pending() && !r.handed:
				r.lost = true
				lost.add(counts{frames: 1, items: int64(r.items)})
			case r.pending():
				r.aside = true
			}
		}
		got := counts{frames: p.Frames, items: p.Items}
		require.Equal(m.t, lost, got, "step %d: exact loss", step)
	}
	want = m.expectNext()
	if want == nil {
		require.False(m.t, ok, "step %d", step)
		return
	}
	require.True(m.t, ok, "step %d: Next must yield record %d", step, want.i)
	m.requireRec(f, want)
	m.handOut(want)
}

// damageWhileRunning flips a header byte of the next record's frame on
// disk (and drops the reader's cached bytes, as if they were read anew):
// Next finds a bad region and reports that one frame, exactly.
func (m *model) damageWhileRunning(step int) {
	want := m.expectNext()
	if want == nil || want.held {
		return
	}
	path := m.s.path(segmentName(want.id.seg()))
	m.flip(path, want.id.seg(), int64(want.id.off())+int64(m.byte())%headerSize)
	m.s.rmu.Lock()
	m.s.reader.w.reset(m.s.reader.rf)
	m.s.rmu.Unlock()
	m.probs = nil
	m.next(step)
	// A region, then perhaps a torn tail of its own if the payload's last
	// bytes look like the start of a frame: together, the one frame.
	require.NotEmpty(m.t, m.probs, "step %d", step)
	require.Equal(m.t, ProblemCorruptRegion, m.probs[0].Kind, "step %d: %v", step, m.probs)
	var lost counts
	for _, p := range m.probs {
		require.Contains(m.t, []ProblemKind{ProblemCorruptRegion, ProblemTornTail}, p.Kind, "step %d: %v", step, p)
		lost.add(counts{frames: p.Frames, items: p.Items})
	}
	require.Equal(m.t, [2]int64{1, int64(want.items)}, [2]int64{int64(lost.frames), lost.items}, "step %d: %v", step, m.probs)
}

// checkCounts checks the accounting identity after a step: what Len
// counted right after Open plus what was appended since equals what Next
// yielded (or was appended Held) plus what problems found by Next reported
// plus what is unread; and Len is that minus what was acked.
func (m *model) checkCounts(step int) {
	c := m.base
	c.add(m.appended)
	c.sub(m.yielded)
	c.sub(m.held)
	c.sub(m.lost)
	f, items := m.s.Unread()
	require.Equal(m.t, [2]int64{int64(c.frames), c.items}, [2]int64{int64(f), items}, "step %d: Unread", step)
	c = m.base
	c.add(m.appended)
	c.sub(m.acked)
	c.sub(m.lost)
	f, _, items = m.s.Len()
	require.Equal(m.t, [2]int64{int64(c.frames), c.items}, [2]int64{int64(f), items}, "step %d: Len", step)
}

// checkLen compares Len with the model's pending records.
func (m *model) checkLen(step int) {
	var frames int
	var bytes, items int64
	for _, r := range m.recs {
		if r.pending() {
			frames++
			bytes += r.size
			items += int64(r.items)
		}
	}
	f, b, i := m.s.Len()
	require.Equal(m.t, [3]int64{int64(frames), bytes, items}, [3]int64{int64(f), b, i}, "step %d: Len", step)
}
