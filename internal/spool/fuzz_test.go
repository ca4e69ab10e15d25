package spool

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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
// Len is compared after every step, and so is the accounting identity of
// issue 17 (see checkCounts): what Len counted right after Open plus what
// was appended equals what Next yielded, what problems reported and what is
// still pending, exactly. Faults while running (checked the same way): a
// segment Next cannot read (moved aside, its loss reported exactly), a
// short write whose cut fails too, an fsync error seen by Spool.Sync, and a
// zero-filled tail after a crash. The seeds run in plain `go test`; to
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
	f.Add([]byte{0, 0, 30, 7, 3, 2, 20, 30, 40, 50, 1, 1, 6, 1, 1})          // short write, cut fails
	f.Add([]byte{1, 0, 30, 7, 3, 1, 28, 28, 28, 1, 5, 1})                    // the same with Sync
	f.Add([]byte{2, 0, 100, 0, 100, 0, 100, 7, 4, 2, 7, 4, 1, 0, 2, 0, 5})   // unreadable segments
	f.Add([]byte{3, 0, 30, 128, 30, 0, 30, 1, 7, 4, 1, 2, 0, 6, 1, 1})       // unreadable, held frame
	f.Add([]byte{1, 0, 30, 7, 5, 20, 0, 20, 1, 1, 1, 5, 1})                  // Sync's fsync fails
	f.Add([]byte{0, 0, 30, 0, 40, 1, 11, 0, 50, 1, 1, 11, 1, 0, 1})          // zero-filled tails
	f.Add([]byte{2, 0, 30, 0, 30, 0, 30, 7, 6, 5, 1, 7, 6, 20, 2, 0, 6, 1})  // damage while running
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
	lost    bool // destroyed by damage
	handed  bool // yielded (or Held) in this lifetime
	held    bool // appended Held in this lifetime
	aside   bool // in flight in a segment moved aside: lost at a restart
	cutOff  bool // the bytes of its header are gone (cut)
	// regionLost: its bad header is recorded as a bad region (it was lost
	// to it, or done before: acked or a corrupt payload): Open jumps over
	// it even if its header is whole again.
	regionLost bool
	flipped    map[int64]bool // header bytes flipped (a second flip restores one)
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
	// Frames and items of this lifetime, for checkCounts.
	live                          bool // Open returned: problems are Next's
	base, appended, yielded, held counts
	acked, lost                   counts
	probs                         []Problem // reported by Next, not yet looked at
	// tornSlack: a torn tail of up to this many bytes may show beside a
	// damaged header (see flip); drainAndCompare then tolerates it.
	tornSlack int64
	// zerosMaybe: zeros appended may be reported as a torn tail of this
	// many bytes, or fewer (down to none; see zeros).
	zerosMaybe int64
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
	m := &model{t: t, data: data, pos: 1, set: set, ffs: ffs}
	m.set.OnProblem = m.onProblem
	return m
}

// onProblem counts what problems found by Next take from the counts.
func (m *model) onProblem(p Problem) {
	if !m.live {
		return
	}
	m.lost.add(counts{frames: p.Frames, items: p.Items})
	m.probs = append(m.probs, p)
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
	m.live = false
	s, err := Open(m.set)
	require.NoError(m.t, err, "Open never fails on bad files")
	m.s = s
	m.live = true
	f, _, items := s.Len()
	m.base = counts{frames: f, items: items}
	m.appended, m.yielded, m.held, m.acked, m.lost = counts{}, counts{}, counts{}, counts{}, counts{}
	m.probs = nil
	for _, r := range m.recs {
		if r.aside && r.pending() {
			r.lost = true // its segment was moved aside
		}
		r.handed, r.held, r.aside = false, false, false
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
			m.faultyOp(step)
		case 1:
			m.next(step)
		case 2:
			m.ack()
		case 3:
			m.crashAndDamage([]damage{damageCut, damageZeros}[op>>3&1])
		case 4:
			m.crashAndDamage(damageFlip)
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
		m.checkCounts(step)
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
	m.accept(recs, ids)
}

// accept adds records the spool accepted to the model.
func (m *model) accept(recs []Record, ids []ID) {
	for j, r := range recs {
		m.recs = append(m.recs, &mrec{
			i: len(m.recs), payload: r.Payload, items: r.Items, id: ids[j],
			size: frameSize(len(r.Payload)), handed: r.Held, held: r.Held,
		})
		c := counts{frames: 1, items: int64(r.Items)}
		m.appended.add(c)
		if r.Held {
			m.held.add(c)
		}
	}
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
	m.handOut(want)
}

// handOut marks r as yielded by Next.
func (m *model) handOut(r *mrec) {
	r.handed = true
	m.yielded.add(counts{frames: 1, items: int64(r.items)})
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
	m.acked.add(counts{frames: 1, items: int64(r.items)})
}
