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
// The package uses only the standard library.
package membudget
