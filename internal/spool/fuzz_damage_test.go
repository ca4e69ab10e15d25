package spool

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/stretchr/testify/require"
)

// The damage FuzzSpool does to segment files on disk, and what the model
// expects of it.

// damage is what crashAndDamage does to a segment file.
type damage int

const (
	damageCut   damage = iota // truncate it at a byte
	damageFlip                // flip a byte
	damageZeros               // extend it with zeros, as a power loss can
)

// crashAndDamage abandons the spool, damages one segment file, reopens and
// checks that exactly the damaged records are gone, and counted.
func (m *model) crashAndDamage(d damage) {
	crash(m.s)
	files, _ := filepath.Glob(filepath.Join(m.set.Dir, "*.seg"))
	var want Stats // expected counter deltas
	if len(files) > 0 {
		slices.Sort(files)
		path := files[int(m.byte())%len(files)]
		fi, err := os.Stat(path)
		require.NoError(m.t, err)
		var seg uint32
		for _, r := range m.recs {
			if filepath.Base(path) == segmentName(r.id.seg()) {
				seg = r.id.seg()
			}
		}
		switch size := fi.Size(); {
		case d == damageZeros:
			want = m.zeros(path, 1+int64(m.byte())*3)
		case size == 0:
		case d == damageFlip:
			want = m.flip(path, seg, (int64(m.byte())<<8|int64(m.byte()))%size)
		default:
			want = m.cut(path, seg, (int64(m.byte())<<8|int64(m.byte()))%size)
		}
	}
	m.open()
	m.drainAndCompare(want)
}

// inSeg returns the records of segment seg still whole enough to matter.
func (m *model) inSeg(seg uint32) []*mrec {
	var out []*mrec
	for _, r := range m.recs {
		if r.id.seg() == seg && !r.cutOff {
			out = append(out, r)
		}
	}
	return out
}

func (m *model) cut(path string, seg uint32, at int64) Stats {
	if os.Getenv("SPOOL_DEBUG") != "" {
		fi, _ := os.Stat(path)
		m.t.Logf("cut %s (size %d) at %d", path, fi.Size(), at)
	}
	require.NoError(m.t, os.Truncate(path, at))
	var want Stats
	for _, r := range m.inSeg(seg) {
		off := int64(r.id.off())
		if off+r.size <= at {
			continue
		}
		if off < at && r.pending() {
			want.TornBytes = at - off // the frame the cut goes through
		}
		r.cutOff = true
		if r.pending() {
			r.lost = true // at or after the cut point
		}
	}
	return want
}

func (m *model) flip(path string, seg uint32, at int64) Stats {
	if os.Getenv("SPOOL_DEBUG") != "" {
		m.t.Logf("flip %s at %d", path, at)
	}
	b, err := os.ReadFile(path)
	require.NoError(m.t, err)
	b[at] ^= 0xff
	require.NoError(m.t, os.WriteFile(path, b, 0o600))
	var want Stats
	var hit *mrec
	valid := 0
	for _, r := range m.inSeg(seg) {
		off := int64(r.id.off())
		if at >= off && at < off+r.size {
			hit = r
			if at-off < headerSize {
				if r.flipped == nil {
					r.flipped = map[int64]bool{}
				}
				if r.flipped[at] {
					delete(r.flipped, at)
				} else {
					r.flipped[at] = true
				}
			}
		}
		if !r.badHead() && !r.regionLost {
			valid++ // a frame walk finds (not inside a recorded bad region)
		}
	}
	if hit != nil && hit.badHead() {
		// The search for the next frame after a bad header takes a magic
		// prefix among the file's last bytes for a frame cut in its header
		// (a torn tail of its own), and the payload may end like one.
		m.tornSlack = int64(len(b)) - int64(hit.id.off())
	}
	if hit == nil || !hit.pending() {
		if hit != nil && hit.badHead() {
			hit.regionLost = true // a done frame's region is recorded too
		}
		return want
	}
	hit.lost = true
	hit.regionLost = hit.badHead()
	switch {
	case hit.badHead() && valid == 0:
		want.MovedAside = 1
	case hit.badHead():
		want.CorruptFrames = 1
	default:
		want.CorruptFrames, want.CorruptItems, want.CorruptBytes = 1, int64(hit.items), hit.size
	}
	return want
}

// zeros extends the file with n zero bytes, as a power loss can: no record
// is lost, and a torn tail of up to n bytes is reported. Fewer when the
// zeros first fill up a frame an earlier cut went through (an acked one,
// whose header says how long it is) or fall inside a bad region the spool
// recorded; the model does not track all of those (a refused write's
// region, say), so it accepts any count up to n. TestZeroFilledTailIsATornTail
// checks the exact count.
func (m *model) zeros(path string, n int64) Stats {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(m.t, err)
	_, err = f.Write(make([]byte, n))
	require.NoError(m.t, err)
	require.NoError(m.t, f.Close())
	m.zerosMaybe = n
	return Stats{TornBytes: n}
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
		m.handOut(exp)
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
	if extra := got.TornBytes - want.TornBytes; extra > 0 && extra < m.tornSlack {
		got.TornBytes = want.TornBytes
	}
	if d := want.TornBytes - got.TornBytes; d > 0 && d <= m.zerosMaybe {
		got.TornBytes = want.TornBytes
	}
	m.tornSlack, m.zerosMaybe = 0, 0
	require.Equal(m.t, want, got, "problem counters")
}
