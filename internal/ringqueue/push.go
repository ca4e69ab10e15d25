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
	switch {
	case isDone(done):
		q.mu.Unlock()
		return ctx.Err()
	case q.closed:
		q.mu.Unlock()
		return ErrClosed
	case q.n < len(q.buf):
		// Pushers only park while the queue is full, so taking the free
		// slot jumps ahead of nobody.
		q.addLocked(v)
		q.mu.Unlock()
		return nil
	}
	_, err := q.park(ctx, &q.pushers, v)
	return err
}
