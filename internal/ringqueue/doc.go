// Package ringqueue provides Queue, a bounded, generic FIFO ring buffer that
// is safe for concurrent use.
//
// The queue never grows: TryPush and PushFront fail with ErrFull instead of
// blocking, so the caller decides what to drop (TryPop evicts the oldest item).
// Push is the blocking alternative: it waits for a free slot, its context's
// end, or Close. Pop blocks until an item arrives, its context ends, or the
// queue is closed and drained. The package uses only the standard library.
//
// # Waiting
//
// Blocked calls are handed their result directly, as a channel hands a value
// from a blocked sender to a blocked receiver. A Pop on an empty queue or a
// Push on a full one parks by linking a waiter record (an item and a one-slot
// result channel) into one of two FIFO lists under the mutex, then waits on
// the result channel and its ctx.Done(). A push that finds a Pop parked gives
// it the item instead of storing it; a pop that frees a slot while a Push is
// parked moves that Push's item into the freed slot. Both send the result
// under the same lock, so the woken call returns without taking the mutex
// again, and each wakeup is meant for exactly one waiter: no waiter wakes to
// find its item taken. Pushers park only while the queue is full and poppers
// only while it is empty, so at most one list is non-empty, and a call that
// finds room (or an item) jumps ahead of nobody.
//
// Close sends ErrClosed to every parked call; a Push's item is not added. A
// waiter whose context ends takes the mutex and either finds its result
// already sent (its Push's item was stored, or its Pop was handed an item,
// which it returns with a nil error so nothing is lost) or unlinks itself and
// returns ctx.Err(). The decision is made under the mutex, so an item is never
// both moved and reported as not moved. Waiter records are pooled
// (sync.Pool), so parking allocates nothing in steady state.
//
// This was preferred to sync.Cond plus context.AfterFunc: AfterFunc allocates
// a registration on every wait, and Cond cannot wait on a context by itself.
// With context.Background (a nil Done channel) a park is a single channel
// receive. An earlier design woke parked Pops through one shared "ready"
// channel and let them race for the mutex; direct handoff removed the
// spurious wakeups and made a blocking Push and Pop no slower than a channel
// in every benchmark cell (BENCHMARKS.md).
package ringqueue
