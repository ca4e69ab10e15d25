// Package membudget accounts bytes against a fixed limit, in the manner of
// golang.org/x/sync/semaphore.Weighted: TryAcquire never blocks, Acquire
// waits in FIFO order, Release hands freed bytes to waiters in that order.
//
// Fairness is strict FIFO: while any Acquire is waiting, TryAcquire fails and
// new Acquire calls queue behind it, even if their smaller request would fit.
// This keeps a large request from being starved by a stream of small ones
// (the semaphore package explains the same choice with a reader/writer lock).
// A request larger than the limit can never fit, so Acquire rejects it at
// once with ErrTooLarge instead of blocking everyone queued behind it.
//
// While nobody waits, TryAcquire, Acquire, Release and InUse touch only an
// atomic counter (compare-and-swap), which is about twice as fast as the
// semaphore's mutex. The waiter queue is guarded by a mutex; Acquire counts
// itself as a waiter before its final fit check and Release checks for
// waiters after returning bytes, so one of them always sees the other and no
// wakeup is lost.
//
// The package uses only the standard library.
package membudget
