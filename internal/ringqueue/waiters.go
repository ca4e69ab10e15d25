package ringqueue

import "context"

// waiter is a Push parked on a full queue or a Pop parked on an empty one. It
// sits in one of the queue's two FIFO wait lists, guarded by q.mu, until
// another call completes it (moves its item into the queue for a Push, hands
// it an item for a Pop), Close refuses it, or its context ends and it unlinks
// itself. Records are pooled in q.waiterPool, so parking allocates nothing in
// steady state.
type waiter[T any] struct {
	v          T          // a parked Push's item, or the item handed to a parked Pop
	done       chan error // one slot; receives the result exactly once, under q.mu
	prev, next *waiter[T]
}

// waitList is a FIFO of parked calls, oldest first. Callers MUST hold q.mu.
type waitList[T any] struct {
	head, tail *waiter[T]
}

// push appends w.
func (l *waitList[T]) push(w *waiter[T]) {
	w.prev = l.tail
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
}

// remove unlinks w, which must be in l.
func (l *waitList[T]) remove(w *waiter[T]) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
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

// park links a new waiter holding v into l, releases q.mu, and waits for the
// waiter's result or for ctx to end. If ctx wins, it retakes q.mu and
// either finds the result already sent (the call was completed just before its
// context ended, so the result stands) or unlinks the waiter and returns
// ctx.Err(). The decision is made under q.mu, so a completed call is never
// also reported as cancelled. It returns the waiter's final value and result;
// callers MUST hold q.mu, which park releases.
func (q *Queue[T]) park(ctx context.Context, l *waitList[T], v T) (T, error) {
	done := ctx.Done()
	w := q.newWaiter(v)
	l.push(w)
	q.mu.Unlock()
	var err error
	if done == nil {
		err = <-w.done
	} else {
		select {
		case err = <-w.done:
		case <-done:
			q.mu.Lock()
			select {
			case err = <-w.done:
			default:
				l.remove(w)
				err = ctx.Err()
			}
			q.mu.Unlock()
		}
	}
	v = w.v
	var zero T
	w.v = zero
	q.waiterPool.Put(w)
	return v, err
}

// complete unlinks the oldest waiter of l, sets its value to v and sends err
// as its result. The send never blocks: done has one slot and receives one
// result per park. Callers MUST hold q.mu and know l is not empty.
func complete[T any](l *waitList[T], v T, err error) {
	w := l.head
	l.remove(w)
	w.v = v
	w.done <- err
}

// refuseAll completes every waiter of l with ErrClosed. Callers MUST hold q.mu.
func refuseAll[T any](l *waitList[T]) {
	var zero T
	for l.head != nil {
		complete(l, zero, ErrClosed)
	}
}
