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

func stress(t *testing.T, syncOn bool) {
	const (
		appenders = 8
		perApp    = 400
		ackers    = 3
	)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := openT(t, Settings{MaxBytes: 64 << 10, SegmentBytes: 4 << 10, Sync: syncOn})
	seen := make([]atomic.Int32, appenders*perApp)
	var failures atomic.Int64 // unexpected errors; require is not allowed in goroutines
	var full atomic.Int64
	appended := make(chan struct{}, 1) // a wakeup for the reader
	acked := make(chan struct{}, 1)    // a wakeup for appenders waiting on ErrFull
	wake := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}

	var appWG, ackWG, readWG sync.WaitGroup
	for a := range appenders {
		appWG.Go(func() {
			var ids []ID
			payload := make([]byte, 8+a*10)
			for j := range perApp {
				n := a*perApp + j
				binary.LittleEndian.PutUint64(payload, uint64(n))
				r := Record{Payload: payload, Items: uint32(j%4 + 1), Time: int64(n), Held: j%5 == 0}
				for {
					var err error
					ids, err = s.Append(ids[:0], r)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) || ctx.Err() != nil {
						failures.Add(1)
						return
					}
					full.Add(1)
					select {
					case <-acked:
					case <-ctx.Done():
					}
				}
				wake(appended)
				if r.Held {
					seen[n].Add(1)
					if err := s.Ack(ids[0]); err != nil {
						failures.Add(1)
					}
					wake(acked)
				}
			}
		})
	}
	toAck := make(chan ID, 64)
	for range ackers {
		ackWG.Go(func() {
			var batch []ID
			flush := func() {
				for i := len(batch) - 1; i >= 0; i-- { // newest first: out of order
					if err := s.Ack(batch[i]); err != nil {
						failures.Add(1)
					}
				}
				batch = batch[:0]
				wake(acked)
			}
			for id := range toAck {
				batch = append(batch, id)
				if len(batch) == 4 {
					flush()
				}
			}
			flush()
		})
	}
	var reads atomic.Int64
	appDone := make(chan struct{})
	readWG.Go(func() {
		defer close(toAck)
		var buf []byte
		for {
			f, ok, err := s.Next(buf)
			if err != nil {
				failures.Add(1)
				return
			}
			if ok {
				buf = f.Payload
				n := binary.LittleEndian.Uint64(f.Payload)
				if n >= uint64(len(seen)) || f.Time != int64(n) {
					failures.Add(1)
					return
				}
				seen[n].Add(1)
				reads.Add(1)
				toAck <- f.ID
				continue
			}
			select {
			case <-appended:
			case <-appDone:
				// Appends are over: one more pass reads what is left.
				for {
					f, ok, err := s.Next(nil)
					if err != nil || !ok {
						return
					}
					n := binary.LittleEndian.Uint64(f.Payload)
					seen[n].Add(1)
					reads.Add(1)
					toAck <- f.ID
				}
			case <-ctx.Done():
				return
			}
		}
	})
	appWG.Wait()
	close(appDone)
	readWG.Wait()
	ackWG.Wait()
	require.NoError(t, ctx.Err())
	require.Zero(t, failures.Load())
	for n := range seen {
		require.Equal(t, int32(1), seen[n].Load(), "record %d read or acked exactly once", n)
	}
	st := s.Stats()
	assert.Equal(t, 0, st.Frames)
	assert.Equal(t, 0, st.InFlight)
	assert.LessOrEqual(t, st.Segments, 1, "sealed segments are reclaimed")
	t.Logf("reads %d, ErrFull retries %d", reads.Load(), full.Load())
}
