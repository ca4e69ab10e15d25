package spool

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSpool runs operations decoded from the fuzz input against a Spool and
// a slice model: appends, reads, out-of-order acks, clean reopens, and
// appends that meet an injected fault (disk full, short write, failed fsync),
// crashes (the spool abandoned without Close, as by SIGKILL) after which a
// segment file is cut at a byte or has a byte flipped on disk. After every
// reopen the spool must yield exactly the records whose Append returned nil
// and that were not acked, in append order, minus the ones the damage
// destroyed, each of which must be counted (corrupt frame, torn tail or a
// segment moved aside); a cut loses only the records after the cut point.
// Len is compared after every step. The seeds run in plain `go test`; to
// explore, run
//
//	go test -run '^$' -fuzz FuzzSpool -parallel 1 ./internal/spool
//
// Input: byte 0 picks Sync (bit 0) and the segment size; then each op is one
// byte (the op in the low 3 bits) followed by its arguments.
func FuzzSpool(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 20, 1, 1, 2, 0, 5})
	f.Add([]byte{1, 0, 30, 0, 40, 0, 50, 1, 2, 0, 3, 0, 200, 9})       // cut
	f.Add([]byte{2, 0, 30, 0, 40, 0, 50, 4, 0, 0, 60, 0, 1, 1, 1})     // flip
	f.Add([]byte{3, 0, 100, 0, 100, 0, 100, 0, 100, 1, 1, 2, 1, 5, 1}) // rolls, reopen
	f.Add([]byte{0, 8, 10, 0, 20, 1, 1, 6, 1, 1})                      // held record, crash
	f.Add([]byte{4, 0, 250, 0, 250, 0, 250, 0, 250, 0, 250, 0, 250, 0, 250, 1, 1, 1, 2, 0, 2, 0, 2, 0, 0, 250, 0, 250})
	f.Add([]byte{5, 0, 1, 0, 2, 0, 3, 4, 1, 0, 5, 4, 1, 0, 40, 1, 1, 1})
	f.Add([]byte{6, 0, 64, 0, 64, 3, 0, 0, 70, 0, 64, 4, 1, 0, 30, 5})
	f.Add([]byte{1, 0, 30, 7, 0, 20, 7, 1, 20, 7, 2, 20, 0, 40, 1, 1, 5, 1}) // faults, Sync
	f.Add([]byte{0, 0, 30, 7, 1, 200, 0, 40, 6, 1, 1, 3, 0, 0, 40})          // short write, crash
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 400 {
			return
		}
		m := newModel(t, data)
		m.run()
	})
}

// mrec is the model of one appended record.
type mrec struct {
	i       int
	payload []byte
	items   uint32
	id      ID
	size    int64
	acked   bool
	lost    bool           // destroyed by damage
	handed  bool           // yielded (or Held) in this lifetime
	cutOff  bool           // the bytes of its header are gone (cut)
	flipped map[int64]bool // header bytes flipped (a second flip restores one)
}

// badHead reports whether its header is damaged now.
func (r *mrec) badHead() bool { return len(r.flipped) > 0 }

func (r *mrec) pending() bool { return !r.acked && !r.lost }

type model struct {
	ffs  *faultFS
	t    *testing.T
	data []byte
	pos  int
	set  Settings
	s    *Spool
	recs []*mrec
}

func newModel(t *testing.T, data []byte) *model {
	ffs := &faultFS{}
	set := Settings{
		FS:           ffs,
		Dir:          t.TempDir(),
		MaxBytes:     6 << 10,
		SegmentBytes: 64 + int64(data[0]>>1)*8,
		Sync:         data[0]&1 == 1,
	}
	return &model{t: t, data: data, pos: 1, set: set, ffs: ffs}
}

func (m *model) byte() byte {
	if m.pos >= len(m.data) {
		return 0
	}
	b := m.data[m.pos]
	m.pos++
	return b
}

func (m *model) open() {
	s, err := Open(m.set)
	require.NoError(m.t, err, "Open never fails on bad files")
	m.s = s
	for _, r := range m.recs {
		r.handed = false
		// A deleted (or moved-aside) segment's number may be used again by
		// a new segment: its old records are no longer in any file.
		if _, err := os.Stat(filepath.Join(m.set.Dir, segmentName(r.id.seg()))); err != nil {
			r.cutOff = true
		}
	}
}

func (m *model) run() {
	m.open()
	defer func() { _ = m.s.Close() }()
	for step := 0; m.pos < len(m.data); step++ {
		op := m.byte()
		switch op & 7 {
		case 0:
			m.append(op)
		case 7:
			m.faultyAppend()
		case 1:
			m.next(step)
		case 2:
			m.ack()
		case 3:
			m.crashAndDamage(false)
		case 4:
			m.crashAndDamage(true)
		case 5:
			require.NoError(m.t, m.s.Close())
			m.open()
			m.drainAndCompare(Stats{})
		case 6:
			crash(m.s)
			m.open()
			m.drainAndCompare(Stats{})
		}
		m.checkLen(step)
	}
	// Ack everything: every sealed segment goes.
	for _, r := range m.recs {
		if r.pending() && !r.handed {
			m.next(-1)
		}
	}
	for _, r := range m.recs {
		if r.pending() {
			require.NoError(m.t, m.s.Ack(r.id))
			r.acked = true
		}
	}
	st := m.s.Stats()
	require.Equal(m.t, 0, st.Frames)
	require.LessOrEqual(m.t, st.Segments, 1, "only the active segment may stay")
}

func (m *model) append(op byte) {
	n := 1 + int(op>>3)%3
	recs := make([]Record, n)
	var total int64
	for j := range recs {
		i := len(m.recs) + j
		size := int(m.byte())
		p := make([]byte, size)
		for k := range p {
			p[k] = byte(i*13 + k)
		}
		recs[j] = Record{Payload: p, Items: uint32(i%5 + 1), Time: int64(i), Held: op&0x80 != 0 && j == 0}
		total += frameSize(size)
	}
	disk := m.s.Stats().DiskBytes
	ids, err := m.s.Append(nil, recs...)
	if errors.Is(err, ErrFull) {
		require.Greater(m.t, disk+total, m.set.MaxBytes, "ErrFull only past the budget")
		return
	}
	require.NoError(m.t, err)
	for j, r := range recs {
		m.recs = append(m.recs, &mrec{
			i: len(m.recs), payload: r.Payload, items: r.Items, id: ids[j],
			size: frameSize(len(r.Payload)), handed: r.Held,
		})
	}
}

// faultyAppend appends one record while a write or fsync fails: Append must
// fail and change nothing the model can see.
func (m *model) faultyAppend() {
	faults := []fault{
		{op: opWrite, err: syscall.ENOSPC},
		{op: opWrite, err: syscall.EIO, short: true},
		{op: opSync, err: syscall.EIO},
	}
	ft := faults[int(m.byte())%len(faults)]
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

// expectNext is the record Next must return, or nil.
func (m *model) expectNext() *mrec {
	for _, r := range m.recs {
		if r.pending() && !r.handed {
			return r
		}
	}
	return nil
}

func (m *model) next(step int) {
	want := m.expectNext()
	f, ok, err := m.s.Next(nil)
	require.NoError(m.t, err)
	if want == nil {
		require.False(m.t, ok, "step %d: Next yields nothing", step)
		return
	}
	require.True(m.t, ok, "step %d: Next must yield record %d", step, want.i)
	m.requireRec(f, want)
	want.handed = true
}

func (m *model) requireRec(f Frame, want *mrec) {
	m.t.Helper()
	require.Equal(m.t, want.id, f.ID, "record %d", want.i)
	require.True(m.t, bytes.Equal(want.payload, f.Payload), "payload of record %d", want.i)
	require.Equal(m.t, want.items, f.Items)
	require.Equal(m.t, int64(want.i), f.Time)
}

func (m *model) ack() {
	var inflight []*mrec
	for _, r := range m.recs {
		if r.pending() && r.handed {
			inflight = append(inflight, r)
		}
	}
	if len(inflight) == 0 {
		return
	}
	r := inflight[int(m.byte())%len(inflight)]
	require.NoError(m.t, m.s.Ack(r.id))
	r.acked = true
}

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

// drainAndCompare reads everything after a reopen: exactly the pending
// records in order. The new Spool's problem counters must equal want:
// earlier problems were recorded and are not reported again.
func (m *model) drainAndCompare(want Stats) {
	for {
		exp := m.expectNext()
		f, ok, err := m.s.Next(nil)
		require.NoError(m.t, err)
		if exp == nil {
			require.False(m.t, ok, "nothing more after a reopen")
			break
		}
		require.True(m.t, ok, "record %d must come back", exp.i)
		m.requireRec(f, exp)
		exp.handed = true
	}
	st := m.s.Stats()
	got := Stats{
		CorruptFrames: st.CorruptFrames,
		CorruptItems:  st.CorruptItems,
		TornBytes:     st.TornBytes,
		MovedAside:    st.MovedAside,
	}
	if want.CorruptBytes != 0 || want.MovedAside == 0 && want.CorruptFrames == 0 {
		got.CorruptBytes = st.CorruptBytes
	} else {
		want.CorruptBytes = 0 // a bad header's region may take a torn tail with it
	}
	require.Equal(m.t, want, got, "problem counters")
}
