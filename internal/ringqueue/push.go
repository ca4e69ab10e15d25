package ringqueue

import "context"

// Push appends v at the tail, blocking while the queue is full. It returns
// ctx.Err() if ctx is done when it is called, even if there is room, so a
// cancelled producer never adds an item; it returns ErrClosed after Close,
// including to a Push that is blocked when Close is called (its v is not
// added). Blocked pushers are served in FIFO order: a pop that frees a slot
// moves the longest-waiting Push's v into it directly. A blocked Push whose
// ctx ends returns ctx.Err() and adds nothing, unless a pop already moved its
// v into the queue, in which case it returns nil. Push does not allocate in
// steady state, even when it waits, and a cancelled Push leaves no goroutine
// behind.
func (q *Queue[T]) Push(ctx context.Context, v T) error {
	done := ctx.Done()
	q.mu.Lock()
	if isDone(done) {
		q.mu.Unlock()
		return ctx.Err()
	}
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.n < len(q.buf) {
		// Parked pushers only exist while the queue is full, so taking the
		// free slot jumps ahead of nobody.
		q.pushLocked(v)
		wake := q.wakePopLocked()
		q.mu.Unlock()
		signal(q.ready, wake)
		return nil
	}
	w := q.newWaiter(v)
	q.enqueueWaiterLocked(w)
	q.mu.Unlock()
	var err error
	select {
	case err = <-w.done:
	case <-done:
		q.mu.Lock()
		select {
		case err = <-w.done: // handed off (nil) or refused by Close
		default:
			q.unlinkWaiterLocked(w)
			var zero T
			w.v = zero
			err = ctx.Err()
		}
		q.mu.Unlock()
	}
	q.waiterPool.Put(w)
	return err
}
