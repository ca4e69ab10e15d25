package ringqueue

// waiter is a Push parked on a full queue. It sits in the queue's FIFO of
// parked pushers, guarded by q.mu, until a pop moves v into the queue for it
// (handoff), Close refuses it, or its context ends and it unlinks itself.
// Records are pooled in q.waiterPool, so parking allocates nothing in steady
// state.
type waiter[T any] struct {
	v          T
	done       chan error // one slot; receives the result exactly once, under q.mu
	prev, next *waiter[T]
}

// newWaiter returns a pooled, unlinked waiter record holding v.
func (q *Queue[T]) newWaiter(v T) *waiter[T] {
	w, ok := q.waiterPool.Get().(*waiter[T])
	if !ok {
		w = &waiter[T]{done: make(chan error, 1)}
	}
	w.v = v
	return w
}

// enqueueWaiterLocked appends w to the FIFO of parked pushers. Callers MUST
// hold q.mu.
func (q *Queue[T]) enqueueWaiterLocked(w *waiter[T]) {
	w.prev = q.waitTail
	if q.waitTail == nil {
		q.waitHead = w
	} else {
		q.waitTail.next = w
	}
	q.waitTail = w
}

// unlinkWaiterLocked removes w from the FIFO of parked pushers. Callers MUST
// hold q.mu.
func (q *Queue[T]) unlinkWaiterLocked(w *waiter[T]) {
	if w.prev == nil {
		q.waitHead = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.waitTail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
}

// finishWaiterLocked unlinks w, clears its value and sends err as its result.
// The send never blocks: done has one slot and receives one result per park.
// Callers MUST hold q.mu, so a pusher that re-checks under q.mu after its
// context ended sees the result if one was sent.
func (q *Queue[T]) finishWaiterLocked(w *waiter[T], err error) {
	q.unlinkWaiterLocked(w)
	var zero T
	w.v = zero
	w.done <- err
}

// handoffLocked moves the first parked pusher's value into the slot a pop just
// freed, and completes that Push. Callers MUST hold q.mu and call it right
// after popLocked.
func (q *Queue[T]) handoffLocked() {
	if w := q.waitHead; w != nil {
		q.pushLocked(w.v)
		q.finishWaiterLocked(w, nil)
	}
}

// refuseWaitersLocked completes every parked Push with ErrClosed, without
// adding their values. Callers MUST hold q.mu.
func (q *Queue[T]) refuseWaitersLocked() {
	for q.waitHead != nil {
		q.finishWaiterLocked(q.waitHead, ErrClosed)
	}
}
