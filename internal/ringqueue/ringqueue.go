package ringqueue

import (
	"context"
	"errors"
	"sync"
)

// ErrFull is returned by TryPush and PushFront when the queue holds Cap items.
var ErrFull = errors.New("ringqueue: full")

// ErrClosed is returned by pushes after Close, and by Pop once the queue is
// closed and empty.
var ErrClosed = errors.New("ringqueue: closed")

// Queue is a bounded FIFO ring buffer, safe for concurrent use by any number
// of goroutines. Slots are reused: no operation allocates in steady state, and
// a removed item's slot is cleared so the garbage collector can free it.
//
// The zero Queue has capacity 0, so it is not usable; create queues with New.
type Queue[T any] struct {
	mu     sync.Mutex
	buf    []T  // ring storage; len(buf) is the capacity
	head   int  // index of the oldest item
	n      int  // number of items held
	closed bool // set once by Close

	// Parked calls, oldest first; see waiters.go. Pushers wait only while
	// the queue is full and open, poppers only while it is empty and open,
	// so at most one list is non-empty.
	pushers, poppers waitList[T]
	waiterPool       sync.Pool // of *waiter[T]
}

// New returns an empty queue that holds at most capacity items.
// It panics if capacity is not positive.
func New[T any](capacity int) *Queue[T] {
	if capacity <= 0 {
		panic("ringqueue: capacity must be positive")
	}
	return &Queue[T]{buf: make([]T, capacity)}
}

// TryPush appends v at the tail without blocking. It returns ErrClosed after
// Close (checked first) and ErrFull when the queue holds Cap items.
func (q *Queue[T]) TryPush(v T) error {
	q.mu.Lock()
	err := q.pushableLocked()
	if err == nil {
		q.addLocked(v)
	}
	q.mu.Unlock()
	return err
}

// PushFront puts v back at the head, so it is the next item popped; use it to
// requeue an item whose processing failed. It never blocks and returns
// ErrClosed after Close and ErrFull when the queue holds Cap items.
func (q *Queue[T]) PushFront(v T) error {
	q.mu.Lock()
	err := q.pushableLocked()
	switch {
	case err != nil:
	case q.poppers.head != nil:
		// The queue is empty: the head is the tail.
		q.addLocked(v)
	default:
		q.head--
		if q.head < 0 {
			q.head = len(q.buf) - 1
		}
		q.buf[q.head] = v
		q.n++
	}
	q.mu.Unlock()
	return err
}

// TryPop removes and returns the head (oldest) item without blocking. It
// reports false when the queue is empty. It still returns items after Close,
// which makes it the way to evict the oldest item or to drain a closed queue.
func (q *Queue[T]) TryPop() (T, bool) {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		var zero T
		return zero, false
	}
	v := q.removeLocked()
	q.mu.Unlock()
	return v, true
}

// Pop removes and returns the head item, blocking until one is available.
// It returns ctx.Err() if ctx is done when it is called, even if items are
// available, so a cancelled consumer stops promptly; it returns ErrClosed once
// the queue is closed and empty. After Close, Pop keeps returning the
// remaining items. Blocked Pops are served in FIFO order: a push moves its
// item straight to the longest-waiting Pop. A blocked Pop whose ctx ends
// returns ctx.Err(), unless a push already handed it an item, in which case it
// returns that item and nil, so no item is lost. Pop does not allocate in
// steady state, even when it waits, and a cancelled Pop leaves no goroutine
// behind.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	done := ctx.Done()
	var zero T
	q.mu.Lock()
	switch {
	case isDone(done):
		q.mu.Unlock()
		return zero, ctx.Err()
	case q.n > 0:
		v := q.removeLocked()
		q.mu.Unlock()
		return v, nil
	case q.closed:
		q.mu.Unlock()
		return zero, ErrClosed
	}
	return q.park(ctx, &q.poppers, zero)
}

// Peek returns the head (oldest) item without removing it. It reports false
// when the queue is empty.
func (q *Queue[T]) Peek() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		var zero T
		return zero, false
	}
	return q.buf[q.head], true
}

// Len returns the number of items currently held.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Cap returns the maximum number of items the queue holds. It never changes.
func (q *Queue[T]) Cap() int {
	return len(q.buf)
}

// Close stops the queue accepting items and wakes every blocked Pop and Push;
// they return ErrClosed (a blocked Pop means the queue is empty). Items already queued stay available
// to Pop and TryPop. Close is idempotent.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	refuseAll(&q.pushers)
	refuseAll(&q.poppers)
	q.mu.Unlock()
}

// Closed reports whether Close has been called.
func (q *Queue[T]) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// pushableLocked returns why a push must fail, or nil. Callers MUST hold q.mu.
func (q *Queue[T]) pushableLocked() error {
	if q.closed {
		return ErrClosed
	}
	if q.n == len(q.buf) {
		return ErrFull
	}
	return nil
}

// addLocked adds v behind the items held: it hands v to the longest-waiting
// Pop if one is parked (the queue is then empty), else appends it at the tail.
// The queue must not be full. Callers MUST hold q.mu.
func (q *Queue[T]) addLocked(v T) {
	if q.poppers.head != nil {
		complete(&q.poppers, v, nil)
		return
	}
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = v
	q.n++
}

// removeLocked removes and returns the head item and clears its slot; if a
// Push is parked, it moves the longest-waiting one's item into the freed slot
// and completes that Push, so the queue stays full. The queue must not be
// empty. Callers MUST hold q.mu.
func (q *Queue[T]) removeLocked() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	if w := q.pushers.head; w != nil {
		pv := w.v
		complete(&q.pushers, zero, nil)
		q.addLocked(pv)
	}
	return v
}

// isDone reports whether done is closed; a nil done never is.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
