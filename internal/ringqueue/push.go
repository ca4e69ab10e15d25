package ringqueue

import "context"

// Push appends v at the tail, blocking while the queue is full. It returns
// ctx.Err() once ctx is done, even if there is room, so a cancelled producer
// never adds an item; it returns ErrClosed after Close, including to a Push
// that is blocked when Close is called. Blocked pushers are not served in FIFO
// order: any of them may take a slot freed by a pop. Push does not allocate,
// even when it waits, and a cancelled Push leaves no goroutine behind.
func (q *Queue[T]) Push(ctx context.Context, v T) error {
	done := ctx.Done()
	var err error
	q.mu.Lock()
	for {
		if isDone(done) {
			err = ctx.Err()
			break
		}
		if q.closed {
			err = ErrClosed
			break
		}
		if q.n < len(q.buf) {
			q.pushLocked(v)
			break
		}
		q.pushers++
		q.mu.Unlock()
		select {
		case <-done:
		case <-q.room:
		}
		q.mu.Lock()
		q.pushers--
	}
	// We may have taken the room signal: pass it on if it is still due. A
	// push added an item: wake a parked Pop.
	wakePop, wakePush := q.wakePopLocked(), q.wakePushLocked()
	q.mu.Unlock()
	signal(q.ready, wakePop)
	signal(q.room, wakePush)
	return err
}
