package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStressConcurrentAppendReadAck runs appenders (some records Held and
// acked by their appender), one reader, and ackers that ack in scrambled
// order, with small segments and a small budget so that rolls, reclaims and
// ErrFull retries happen all the time. Every appended record must be read or
// acked exactly once, and at the end nothing is pending and every sealed
// segment is gone.
func TestStressConcurrentAppendReadAck(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(map[bool]string{false: "nosync", true: "sync"}[sync], func(t *testing.T) {
			stress(t, sync)
		})
	}
}

// Sizes of the stress run.
const (
	stressAppenders = 8
	stressPerApp    = 400
	stressAckers    = 3
)

// stressRun is the shared state of one stress run.
type stressRun struct {
	ctx      context.Context
	s        *Spool
	seen     []atomic.Int32
	failures atomic.Int64 // unexpected errors; require is not allowed in goroutines
	full     atomic.Int64
	reads    atomic.Int64
	appended chan struct{} // a wakeup for the reader
	acked    chan struct{} // a wakeup for appenders waiting on ErrFull
	toAck    chan ID
	appDone  chan struct{}
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func stress(t *testing.T, syncOn bool) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	r := &stressRun{
		ctx:      ctx,
		s:        openT(t, Settings{MaxBytes: 64 << 10, SegmentBytes: 4 << 10, Sync: syncOn}),
		seen:     make([]atomic.Int32, stressAppenders*stressPerApp),
		appended: make(chan struct{}, 1),
		acked:    make(chan struct{}, 1),
		toAck:    make(chan ID, 64),
		appDone:  make(chan struct{}),
	}
	var appWG, ackWG, readWG sync.WaitGroup
	for a := range stressAppenders {
		appWG.Go(func() { r.appender(a) })
	}
	for range stressAckers {
		ackWG.Go(r.acker)
	}
	readWG.Go(r.reader)
	appWG.Wait()
	close(r.appDone)
	readWG.Wait()
	ackWG.Wait()
	require.NoError(t, ctx.Err())
	require.Zero(t, r.failures.Load())
	for n := range r.seen {
		require.Equal(t, int32(1), r.seen[n].Load(), "record %d read or acked exactly once", n)
	}
	st := r.s.Stats()
	assert.Equal(t, 0, st.Frames)
	assert.Equal(t, 0, st.InFlight)
	assert.LessOrEqual(t, st.Segments, 1, "sealed segments are reclaimed")
	t.Logf("reads %d, ErrFull retries %d", r.reads.Load(), r.full.Load())
}

// appender appends its records, retrying on ErrFull once something was
// acked; it acks its Held records itself.
func (r *stressRun) appender(a int) {
	var ids []ID
	payload := make([]byte, 8+a*10)
	for j := range stressPerApp {
		n := a*stressPerApp + j
		binary.LittleEndian.PutUint64(payload, uint64(n))
		rec := Record{Payload: payload, Items: uint32(j%4 + 1), Time: int64(n), Held: j%5 == 0}
		for {
			var err error
			ids, err = r.s.Append(ids[:0], rec)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrFull) || r.ctx.Err() != nil {
				r.failures.Add(1)
				return
			}
			r.full.Add(1)
			select {
			case <-r.acked:
			case <-r.ctx.Done():
			}
		}
		wake(r.appended)
		if rec.Held {
			r.seen[n].Add(1)
			if err := r.s.Ack(ids[0]); err != nil {
				r.failures.Add(1)
			}
			wake(r.acked)
		}
	}
}

// acker acks what the reader read, four at a time, newest first: out of
// order.
func (r *stressRun) acker() {
	var batch []ID
	flush := func() {
		for i := len(batch) - 1; i >= 0; i-- {
			if err := r.s.Ack(batch[i]); err != nil {
				r.failures.Add(1)
			}
		}
		batch = batch[:0]
		wake(r.acked)
	}
	for id := range r.toAck {
		batch = append(batch, id)
		if len(batch) == 4 {
			flush()
		}
	}
	flush()
}

// reader reads until the appenders are done and nothing is left.
func (r *stressRun) reader() {
	defer close(r.toAck)
	var buf []byte
	for {
		f, ok, err := r.s.Next(buf)
		if err != nil {
			r.failures.Add(1)
			return
		}
		if ok {
			buf = f.Payload
			if !r.got(f) {
				return
			}
			continue
		}
		select {
		case <-r.appended:
		case <-r.appDone:
			// Appends are over: one more pass reads what is left.
			for {
				f, ok, err := r.s.Next(nil)
				if err != nil || !ok || !r.got(f) {
					return
				}
			}
		case <-r.ctx.Done():
			return
		}
	}
}

// got checks and counts a frame read, and passes it to the ackers.
func (r *stressRun) got(f Frame) bool {
	n := binary.LittleEndian.Uint64(f.Payload)
	if n >= uint64(len(r.seen)) || f.Time != int64(n) {
		r.failures.Add(1)
		return false
	}
	r.seen[n].Add(1)
	r.reads.Add(1)
	r.toAck <- f.ID
	return true
}
