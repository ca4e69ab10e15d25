// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/ringqueue"
	"github.com/resilientsink/resilientsink/internal/spool"
)

// batch is one ConsumeX call's data while the queue holds it.
type batch[T any] struct {
	data  T
	items int
	// bytes is the estimated heap of data: what it holds of the memory budget.
	bytes int64
	// arrived is when ConsumeX offered the batch (see tieredQueue.arrival).
	arrived time.Time
	// firstFail is when the first delivery of this batch failed; zero before.
	firstFail time.Time
	// backoff is the nominal wait after the last failure.
	backoff time.Duration
	// notBefore is the earliest time of the next attempt; zero when due.
	notBefore time.Time
	// disk names the batch's frame on disk; 0 when it is in memory only.
	disk diskRef
	// frameBytes is the size of that frame, what it holds of the disk budget.
	frameBytes int64
	// attempts counts deliveries tried; lastErr is the last one's error
	// text (for a dead letter).
	attempts int
	lastErr  string
}

// counts sums batches (or frames), their items and their bytes.
type counts struct{ batches, items, bytes int64 }

func (c *counts) add(o counts) { c.batches += o.batches; c.items += o.items; c.bytes += o.bytes }
func (c *counts) sub(o counts) { c.batches -= o.batches; c.items -= o.items; c.bytes -= o.bytes }

// memCounts is what b holds of the memory budget.
func (b *batch[T]) memCounts() counts { return counts{1, int64(b.items), b.bytes} }

// hand is one worker's batch, from pop to finish.
type hand[T any] struct {
	b    batch[T]
	busy bool
	// abandoned: Shutdown gave up waiting for this delivery and took the
	// batch over; the worker then only gives back the data reference.
	abandoned bool
}

// queueEvents is what the queue tells the telemetry: items it dropped, wrote
// to disk, or saw delivered. Its methods may be called under the queue's lock
// and must not take it.
type queueEvents interface {
	dropped(items int64, r dropReason)
	deadLettered(items int64, r dropReason)
	spilled(items int64)
	sent(items int64)
}

// tieredQueue is the processor's queue: the only owner of a batch from
// admission to its end. It holds the lock, the memory ring, the batches
// waiting for a retry, the workers' hands, both budgets and the optional disk
// tier; admission (offer), the workers (pop, finish), the feeder and
// Shutdown (closeIntake, drain, sweep) use only its methods, and none of them
// knows whether the disk tier is there. The overflow policy is the table in
// policy.go.
//
// Lock order: tieredQueue.mu, then a spool's locks (the disk tier's reads,
// appends under spill, and acks of evicted frames run under mu). Nothing
// takes mu while holding a spool lock: the spool reports problems without
// its locks held, and the disk tier only records them for the caller.
type tieredQueue[T any] struct {
	cfg        *Config
	sig        *signal[T]
	est        *estimator[T]
	events     queueEvents
	logger     *zap.Logger
	limitBytes int64 // memory budget; 0 when off

	mu sync.Mutex
	// ring holds queued batches in arrival order, a batch put back at the head.
	ring *ringqueue.Queue[batch[T]]
	// retrying holds batches waiting for their backoff (or for the breaker),
	// in arrival order (retry.go).
	retrying []batch[T]
	hands    []hand[T]
	// mem is everything held in memory: ring, retrying, hands and appends
	// in progress that will be held; inHands and appending are those parts.
	mem, inHands, appending counts
	// disk is the disk tier; nil without persistence.
	disk *diskTier
	// dead keeps batches given up on (dead letters); nil when off.
	dead   atomic.Pointer[deadLetters]
	closed bool
	// ready wakes workers: a batch was queued or put back, or intake closed.
	ready *cond
	// room wakes whoever waits for room (overflow block, the feeder) or for
	// the queue to empty (drain), or for appends to end (sweep).
	room    *cond
	victims []batch[T] // eviction scratch, reused under mu
	// drained measures how fast room is freed, for the delay a refusal
	// tells the client (backpressure.go).
	drained drainMeter
	// promised is the room promised to refused clients, and throttle the
	// downstream's last throttle, for the same delay (backpressure.go).
	promised promises
	throttle downThrottle

	// spilling hints, without the lock, that batches go to disk, so that
	// admission encodes them before it takes the lock.
	spilling atomic.Bool
	// writeAheadOn is set at Start under write_ahead, for admission to read
	// without the lock.
	writeAheadOn atomic.Bool
	// lastNow is the last clock reading, in UnixNano, for arrival stamps.
	lastNow atomic.Int64
	// warn rate-limits the logs of failed writes and acks on disk.
	writeWarn, ackWarn, readWarn sometimes
}

func newTieredQueue[T any](cfg *Config, sig *signal[T], events queueEvents, logger *zap.Logger) *tieredQueue[T] {
	q := &tieredQueue[T]{
		cfg:    cfg,
		sig:    sig,
		est:    newEstimator(sig.protoSize, sig.heap),
		events: events,
		logger: logger,
		ring:   ringqueue.New[batch[T]](cfg.QueueSize),
		hands:  make([]hand[T], cfg.NumWorkers),
	}
	if cfg.MemoryLimitMiB > 0 {
		q.limitBytes = int64(cfg.MemoryLimitMiB) << 20
	}
	q.ready = newCond(&q.mu)
	q.room = newCond(&q.mu)
	q.readClock()
	return q
}

// arrival is the arrival time to stamp on a new batch. Reading the clock
// costs about half of an admission on some machines, so it is read only with
// max_age, which needs the exact time. Otherwise the batch gets the last time
// the processor read the clock: at Start, at each delivery attempt and at each
// collection of the telemetry, so queue_oldest_age errs on the old side.
func (q *tieredQueue[T]) arrival() time.Time {
	if q.cfg.MaxAge > 0 {
		return q.readClock()
	}
	return time.Unix(0, q.lastNow.Load())
}

// readClock reads the clock and keeps the reading for arrival.
func (q *tieredQueue[T]) readClock() time.Time {
	now := time.Now()
	q.lastNow.Store(now.UnixNano())
	return now
}

// memFitsLocked reports whether one more batch of n bytes fits in memory.
func (q *tieredQueue[T]) memFitsLocked(n int64) bool {
	return q.mem.batches < int64(q.cfg.QueueSize) && (q.limitBytes == 0 || q.mem.bytes+n <= q.limitBytes)
}

// pushLocked queues b in memory, counting it held.
func (q *tieredQueue[T]) pushLocked(b batch[T]) {
	q.mem.add(b.memCounts())
	q.enqueueLocked(b)
}

// enqueueLocked puts a batch already counted in mem at the tail of the ring.
func (q *tieredQueue[T]) enqueueLocked(b batch[T]) {
	if err := q.ring.TryPush(b); err != nil {
		// Unreachable: mem.batches <= queue_size, the ring's capacity.
		q.endLocked(b, dropOutcome(reasonOverflow))
		return
	}
	q.ready.broadcast()
}

// pop hands worker w the next batch due for delivery, waiting for one until
// ctx ends (then ok is false).
func (q *tieredQueue[T]) pop(ctx context.Context, w int) (b batch[T], ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ctx.Err() == nil {
		due, found, next := q.takeDueLocked(time.Now())
		if found {
			q.hands[w] = hand[T]{b: due, busy: true}
			q.inHands.add(due.memCounts())
			return due, true
		}
		q.ready.wait(ctx, next)
	}
	return b, false
}

// finish ends worker w's hold on its batch with outcome o: the one way a
// worker gives a batch back. If Shutdown abandoned the batch meanwhile, it
// only gives back the data reference.
func (q *tieredQueue[T]) finish(w int, o outcome) {
	q.mu.Lock()
	h := q.hands[w]
	q.hands[w] = hand[T]{}
	if h.abandoned {
		q.mu.Unlock()
		q.sig.unref(h.b.data)
		return
	}
	b := h.b
	q.inHands.sub(b.memCounts())
	if o.throttledUntil != 0 {
		q.throttledLocked(time.Now(), time.Unix(0, o.throttledUntil))
	}
	b.attempts = max(b.attempts, o.attempts)
	if o.errText != "" {
		b.lastErr = o.errText
	}
	switch o.kind {
	case outcomeRetry:
		b.firstFail, b.backoff, b.notBefore = o.firstFail, o.backoff, o.notBefore
		q.retryLocked(b)
		q.mu.Unlock()
	case outcomeAborted:
		// Shutdown cancelled the delivery: keep the batch for the sweep,
		// which writes it to disk, or drop it without a disk tier.
		if q.disk != nil {
			q.putBackLocked(b)
			q.mu.Unlock()
			return
		}
		q.endLocked(b, dropOutcome(reasonShutdown))
		q.mu.Unlock()
	default:
		q.endUnlock(b, o)
	}
}

// endUnlock ends b (sent or dropped) with the lock held on entry and released
// on return. The frame's ack (one write) runs under the lock: a Shutdown that
// gives up on the workers then either finds the batch still in its hand (and
// keeps its frame) or finds it ended and acked, never in between.
func (q *tieredQueue[T]) endUnlock(b batch[T], o outcome) {
	q.endLocked(b, o)
	q.mu.Unlock()
	if o.kind == outcomeSent {
		q.events.sent(int64(b.items))
	}
}

// endLocked is the end of a batch held in memory (not in a hand): its room,
// its frame's ack, its data reference, and its count as dropped.
func (q *tieredQueue[T]) endLocked(b batch[T], o outcome) {
	q.mem.sub(b.memCounts())
	q.drained.add(time.Unix(0, q.lastNow.Load()), 1, b.bytes, b.frameBytes)
	if b.disk != 0 {
		q.disk.ack(b.disk, &q.ackWarn)
	}
	if o.kind == outcomeDropped {
		q.dropData(&b, o.reason, b.lastErr)
	}
	q.sig.unref(b.data)
	q.room.broadcast()
}

// putBackLocked puts b back at the head of the ring, due at once.
func (q *tieredQueue[T]) putBackLocked(b batch[T]) {
	b.notBefore = time.Time{}
	if err := q.ring.PushFront(b); err != nil {
		// Unreachable: a held batch always has a ring slot.
		q.endLocked(b, dropOutcome(reasonShutdown))
		return
	}
	q.ready.broadcast()
}

// stats is a snapshot of what the queue holds, for the gauges.
type stats struct {
	mem        counts
	diskItems  int64
	oldestUnix int64 // arrival of the oldest batch in memory, UnixNano; 0 when none
}

func (q *tieredQueue[T]) stats() stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := stats{mem: q.mem}
	if q.disk != nil {
		s.diskItems = q.disk.unread.items
	}
	oldest := func(t time.Time) {
		if n := t.UnixNano(); s.oldestUnix == 0 || n < s.oldestUnix {
			s.oldestUnix = n
		}
	}
	if b, ok := q.ring.Peek(); ok {
		oldest(b.arrived)
	}
	for i := range q.retrying {
		oldest(q.retrying[i].arrived)
	}
	for i := range q.hands {
		if q.hands[i].busy && !q.hands[i].abandoned {
			oldest(q.hands[i].b.arrived)
		}
	}
	return s
}

// diskBytes is the size of the disk tier's files; 0 without one.
func (q *tieredQueue[T]) diskBytes() int64 {
	q.mu.Lock()
	d := q.disk
	q.mu.Unlock()
	if d == nil {
		return 0
	}
	return d.fileBytes()
}

// record is b as a frame to append to a spool.
func (q *tieredQueue[T]) record(b *batch[T]) (spool.Record, error) {
	return encodeRecord(q.sig, b)
}
