package deadletter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/resilientsink/resilientsink/internal/spool"
)

func letter(i int) Letter {
	return Letter{
		Signal: "traces", Reason: "retries_exhausted", Error: fmt.Sprintf("error %d", i),
		Arrived: time.Unix(int64(i), 5).UTC(), Dropped: time.Unix(int64(i)+10, 7).UTC(),
		Attempts: i % 5, Items: i + 1, Payload: []byte(strings.Repeat("p", i+1)),
	}
}

func openW(t *testing.T, set Settings) *Writer {
	t.Helper()
	if set.MaxBytes == 0 {
		set.MaxBytes = 1 << 20
	}
	w, err := Open(set)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func readAll(t *testing.T, r *Reader) []Letter {
	t.Helper()
	var out []Letter
	for {
		l, ok, err := r.Next()
		require.NoError(t, err)
		if !ok {
			return out
		}
		l.Payload = append([]byte(nil), l.Payload...)
		out = append(out, l)
	}
}

// Every field survives the round trip; a reader resumes from a saved
// position and sees letters written after it stopped.
func TestWriteReadResume(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir, SegmentBytes: 256})
	for i := range 5 {
		require.NoError(t, w.Write(letter(i)))
	}
	r := NewReader(dir, Position{})
	defer r.Close()
	got := readAll(t, r)
	require.Len(t, got, 5)
	for i, l := range got {
		assert.Equal(t, letter(i), l)
	}
	pos := r.Position()
	require.NoError(t, w.Write(letter(5)))
	r2 := NewReader(dir, pos)
	defer r2.Close()
	got = readAll(t, r2)
	require.Len(t, got, 1)
	assert.Equal(t, letter(5), got[0])
	letters, items, bytes, err := NewReader(dir, Position{}).Remaining()
	require.NoError(t, err)
	assert.Equal(t, []int64{6, 1 + 2 + 3 + 4 + 5 + 6}, []int64{letters, items})
	assert.Equal(t, w.Stats().Bytes, bytes, "no damage: the segment files hold the frames only")
}

// The error text is cut to 1 KiB on a rune boundary.
func TestErrorTruncated(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir})
	l := letter(1)
	l.Error = strings.Repeat("é", 600) // 1200 bytes
	require.NoError(t, w.Write(l))
	got := readAll(t, NewReader(dir, Position{}))
	require.Len(t, got, 1)
	assert.Len(t, got[0].Error, MaxErrorBytes)
	assert.Equal(t, strings.Repeat("é", 512), got[0].Error)
}

// A full budget fails the write with spool.ErrFull and keeps nothing of it;
// Stats show the bytes used and the limit.
func TestBudgetFull(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir, MaxBytes: 200})
	require.NoError(t, w.Write(letter(10)))
	big := letter(2)
	big.Payload = make([]byte, 300)
	err := w.Write(big)
	require.ErrorIs(t, err, spool.ErrFull)
	assert.Contains(t, err.Error(), "retries_exhausted, 3 items")
	st := w.Stats()
	assert.Equal(t, int64(200), st.LimitBytes)
	assert.Equal(t, int64(1), st.Letters)
	assert.Positive(t, st.Bytes)
	assert.Len(t, readAll(t, NewReader(dir, Position{})), 1)
	require.NoError(t, w.Close())
	require.ErrorIs(t, w.Write(letter(1)), ErrClosed)
}

// A damaged frame and a frame whose envelope is foreign are skipped and
// reported; the letters around them are read.
func TestDamageSkipped(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir})
	for i := range 3 {
		require.NoError(t, w.Write(letter(i)))
	}
	sp := w.sp
	_, err := sp.Append(nil, spool.Record{Payload: []byte("not an envelope"), Items: 4})
	require.NoError(t, err)
	require.NoError(t, w.Write(letter(3)))
	require.NoError(t, w.Close())
	seg := filepath.Join(dir, "0000000001.seg")
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	first := 28 + len(appendEnvelope(nil, letter(0)))
	b[first+40] ^= 0x55 // inside letter 1's envelope
	require.NoError(t, os.WriteFile(seg, b, 0o600))

	var probs []spool.Problem
	r := NewReader(dir, Position{})
	r.OnProblem = func(p spool.Problem) { probs = append(probs, p) }
	defer r.Close()
	got := readAll(t, r)
	require.Len(t, got, 3)
	assert.Equal(t, letter(0), got[0])
	assert.Equal(t, letter(2), got[1])
	assert.Equal(t, letter(3), got[2])
	require.Len(t, probs, 2)
	assert.Equal(t, spool.ProblemCorruptFrame, probs[0].Kind)
	assert.Equal(t, int64(2), probs[0].Items)
	require.ErrorIs(t, probs[1].Err, ErrBadEnvelope)
	assert.Equal(t, int64(4), probs[1].Items)
}

// Envelope decoding rejects every truncation of a valid envelope before the
// payload, and over-long fields, without panicking.
func TestDecodeEnvelopeRejects(t *testing.T) {
	env := appendEnvelope(nil, letter(3))
	head := len(env) - len(letter(3).Payload)
	for n := range head {
		var l Letter
		require.ErrorIs(t, decodeEnvelope(env[:n], &l), ErrBadEnvelope, "cut at %d", n)
	}
	bad := append([]byte(nil), env...)
	bad[4] = 9
	var l Letter
	require.EqualError(t, decodeEnvelope(bad, &l), "deadletter: bad envelope: version 9, want 1")
	bad = append([]byte(nil), env...)
	bad[5] = 200
	require.ErrorIs(t, decodeEnvelope(bad, &l), ErrBadEnvelope)
}

// Segment files a replay deleted (on_done: delete) give their budget back:
// a Write that finds the budget full counts the folder afresh.
func TestBudgetReclaimedAfterReplayDeletes(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir, MaxBytes: 400, SegmentBytes: 100})
	l := letter(1)
	l.Payload = make([]byte, 60)
	n := 0
	for ; n < 20; n++ {
		l.Dropped = time.Unix(int64(100+n), 0)
		if err := w.Write(l); err != nil {
			require.ErrorIs(t, err, spool.ErrFull)
			break
		}
	}
	require.Positive(t, n)
	// A replay deletes every segment but the newest (the writer's).
	nums, err := spool.SegmentNumbers(nil, dir)
	require.NoError(t, err)
	require.Greater(t, len(nums), 1)
	for _, num := range nums[:len(nums)-1] {
		require.NoError(t, os.Remove(filepath.Join(dir, fmt.Sprintf("%010d.seg", num))))
	}
	l.Dropped = time.Unix(1000, 0)
	require.NoError(t, w.Write(l), "the deleted letters' budget is back")
	assert.Equal(t, int64(2), w.Stats().Letters, "counted afresh: the deleted letters are gone")
	got := readAll(t, NewReader(dir, Position{}))
	assert.Len(t, got, 2, "the newest segment's letter and the new one")
}

// Concurrent writers (and Stats readers) lose no letter and mix none.
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	w := openW(t, Settings{Dir: dir, Sync: true, SegmentBytes: 1024})
	var wg sync.WaitGroup
	var failed atomic.Int64 // no require in goroutines
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				if w.Write(letter(g*100+i)) != nil {
					failed.Add(1)
				}
				_ = w.Stats()
			}
		})
	}
	wg.Wait()
	require.Zero(t, failed.Load())
	got := readAll(t, NewReader(dir, Position{}))
	require.Len(t, got, 100)
	seen := map[int]bool{}
	for _, l := range got {
		i := l.Items - 1
		assert.Equal(t, letter(i), l)
		seen[i] = true
	}
	assert.Len(t, seen, 100)
	assert.Equal(t, int64(100), w.Stats().Letters)
}
