// Package ringqueue provides Queue, a bounded, generic FIFO ring buffer that
// is safe for concurrent use.
//
// The queue never grows: TryPush and PushFront fail with ErrFull instead of
// blocking, so the caller decides what to drop (TryPop evicts the oldest item).
// Pop blocks until an item arrives, its context ends, or the queue is closed
// and drained. The package uses only the standard library.
//
// # Waking waiters
//
// Blocked Pop calls park on a select over three channels: the caller's
// ctx.Done(), a one-slot "ready" signal channel and a "done" channel closed by
// Close. A push sends on ready (without blocking, and only when some Pop is
// parked); a Pop that takes an item while items and parked waiters remain
// passes the signal on, so one push wakes one waiter and no wakeup is lost.
// Close wakes every waiter at once by closing done.
//
// This was preferred to sync.Cond plus context.AfterFunc because the
// AfterFunc registration allocates on every wait and its stop/broadcast
// dance wakes all waiters; the channel signal allocates nothing, even on the
// waiting path, and a cancelled Pop simply leaves the select.
package ringqueue
