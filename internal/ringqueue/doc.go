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
// A blocked Push is handed its slot directly, as a channel hands a blocked
// sender's value to the buffer. Push parks by linking a waiter record (its
// value and a one-slot result channel) into a FIFO of parked pushers under the
// mutex. A pop (TryPop or Pop) that frees a slot while a Push is parked moves
// the oldest waiter's value into the freed tail slot and, under the same
// lock, sends nil on its result channel, so the woken Push returns without
// taking the mutex again; the queue stays full and a parked Pop is signalled as
// usual. Close sends ErrClosed to every parked Push without adding its value.
// A Push whose context ends takes the mutex and either finds its result
// already sent (its item was handed off, so it returns nil, or Close refused
// it) or unlinks itself and returns ctx.Err(); the decision is made under the
// mutex, so an item is never both added and reported as not added. Waiters
// exist only while the queue is full and open, so a Push that finds room
// jumps ahead of nobody; TryPush and PushFront fail with ErrFull while
// pushers wait, since the queue is full. Waiter records are pooled
// (sync.Pool), so parking allocates nothing in steady state.
//
// This was preferred to sync.Cond plus context.AfterFunc: AfterFunc allocates
// a registration on every wait, and Cond cannot wait on a context by itself.
// The channels allocate nothing, even on the waiting path, and with
// context.Background (a nil Done channel) a park is a single channel receive,
// like a plain channel-based queue.
package ringqueue
