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
// The zero Queue has capacity 0 and no wake-up channels, so it is not usable;
// create queues with New.
type Queue[T any] struct {
	mu      sync.Mutex
	buf     []T           // ring storage; len(buf) is the capacity
	head    int           // index of the oldest item
	n       int           // number of items held
	poppers int           // Pop calls parked in the select
	closed  bool          // set once by Close
	ready   chan struct{} // one slot: "an item, or Close, may be waiting for you"

	// Push calls parked on a full queue, oldest first; see waiters.go. The
	// list is empty unless the queue is full and open.
	waitHead, waitTail *waiter[T]
	waiterPool         sync.Pool // of *waiter[T]
}

// New returns an empty queue that holds at most capacity items.
// It panics if capacity is not positive.
func New[T any](capacity int) *Queue[T] {
	if capacity <= 0 {
		panic("ringqueue: capacity must be positive")
	}
	return &Queue[T]{
		buf:   make([]T, capacity),
		ready: make(chan struct{}, 1),
	}
}

// TryPush appends v at the tail without blocking. It returns ErrClosed after
// Close (checked first) and ErrFull when the queue holds Cap items.
func (q *Queue[T]) TryPush(v T) error {
	q.mu.Lock()
	if err := q.pushableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	q.pushLocked(v)
	wake := q.wakePopLocked()
	q.mu.Unlock()
	signal(q.ready, wake)
	return nil
}

// PushFront puts v back at the head, so it is the next item popped; use it to
// requeue an item whose processing failed. It never blocks and returns
// ErrClosed after Close and ErrFull when the queue holds Cap items.
func (q *Queue[T]) PushFront(v T) error {
	q.mu.Lock()
	if err := q.pushableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	q.head--
	if q.head < 0 {
		q.head = len(q.buf) - 1
	}
	q.buf[q.head] = v
	q.n++
	wake := q.wakePopLocked()
	q.mu.Unlock()
	signal(q.ready, wake)
	return nil
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
	v := q.popLocked()
	q.handoffLocked()
	wake := q.wakePopLocked()
	q.mu.Unlock()
	signal(q.ready, wake)
	return v, true
}

// Pop removes and returns the head item, blocking until one is available.
// It returns ctx.Err() once ctx is done, even if items are available, so a
// cancelled consumer stops promptly; it returns ErrClosed once the queue is
// closed and empty. After Close, Pop keeps returning the remaining items.
// Pop does not allocate, and a cancelled Pop leaves no goroutine behind.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	done := ctx.Done()
	var v T
	var err error
	q.mu.Lock()
	for {
		if isDone(done) {
			err = ctx.Err()
			break
		}
		if q.n > 0 {
			v = q.popLocked()
			q.handoffLocked()
			break
		}
		if q.closed {
			err = ErrClosed
			break
		}
		q.poppers++
		q.mu.Unlock()
		select {
		case <-done:
		case <-q.ready:
		}
		q.mu.Lock()
		q.poppers--
	}
	// We may have taken the ready signal: pass it on if it is still due.
	wake := q.wakePopLocked()
	q.mu.Unlock()
	signal(q.ready, wake)
	return v, err
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
// the blocked Push calls return ErrClosed. Items already queued stay available
// to Pop and TryPop. Close is idempotent.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.refuseWaitersLocked()
	wake := q.wakePopLocked()
	q.mu.Unlock()
	signal(q.ready, wake)
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

// pushLocked appends v at the tail. The queue must not be full. Callers MUST
// hold q.mu.
func (q *Queue[T]) pushLocked(v T) {
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = v
	q.n++
}

// popLocked removes the head item and clears its slot. The queue must not be
// empty. Callers MUST hold q.mu.
func (q *Queue[T]) popLocked() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	return v
}

// wakePopLocked reports whether a parked Pop has something to return (an
// item, or ErrClosed) and must be signalled on q.ready. Callers MUST hold q.mu,
// and pass the result to signal after unlocking, so the woken Pop finds the
// mutex free.
func (q *Queue[T]) wakePopLocked() bool {
	return q.poppers > 0 && (q.n > 0 || q.closed)
}

// signal wakes one Pop parked on ch (q.ready) if wake is true.
// The send never blocks: a full channel already holds a wakeup, and while it
// does no waiter stays parked on it. A stale signal only causes a spurious
// wakeup, which the waiter re-checks. Every woken waiter signals again on its
// way out if more waiters are due, so one signal per state change is enough
// and Close wakes all waiters in a chain.
func signal(ch chan<- struct{}, wake bool) {
	if wake {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
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
