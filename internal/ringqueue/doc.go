// Package ringqueue provides Queue, a bounded, generic FIFO ring buffer that
// is safe for concurrent use.
//
// The queue never grows: TryPush and PushFront fail with ErrFull instead of
// blocking, so the caller decides what to drop (TryPop evicts the oldest item).
// Push is the blocking alternative: it waits for a free slot, its context's
// end, or Close. Pop blocks until an item arrives, its context ends, or the
// queue is closed and drained. The package uses only the standard library.
//
// # Waking waiters
//
// A blocked Pop parks in a select on its ctx.Done() and on a one-slot "ready"
// channel. Whoever changes the queue so that a parked Pop has something to
// return (a push, or Close) sends on ready without blocking, after releasing
// the mutex so the woken Pop finds it free. A woken Pop re-checks under the
// mutex and, on its way out, signals again if more waiters are due; so one
// push wakes one waiter, Close wakes all of them in a chain, and a Pop
// cancelled after taking the signal hands it on instead of losing it.
//
// A blocked Push mirrors this on a second one-slot "room" channel. Every pop
// (TryPop or Pop) that frees a slot while a Push is parked sends on room, and
// so does Close; a woken Push re-checks, and on its way out signals room again
// if a slot is still free (or the queue is closed) and another Push is parked,
// and signals ready for the item it added. TryPush and PushFront only take
// slots, so they never signal room: if one of them fills the slot a pop just
// freed, the woken Push finds the queue full and parks again. Pushers are not
// queued in FIFO order; whichever parked Push receives the signal goes next.
//
// This was preferred to sync.Cond plus context.AfterFunc: AfterFunc allocates
// a registration on every wait, and Cond cannot wait on a context by itself.
// The channel signal allocates nothing, even on the waiting path, and with
// context.Background (a nil Done channel) the park is a single channel
// receive, like a plain channel-based queue.
package ringqueue
