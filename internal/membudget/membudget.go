package membudget

import (
	"context"
	"errors"
	"sync"
)

// ErrTooLarge is returned by Acquire when n exceeds the limit, so the request
// could never be granted.
var ErrTooLarge = errors.New("membudget: request exceeds limit")

// Budget accounts bytes against a fixed limit. It is safe for concurrent use
// by any number of goroutines.
//
// The zero Budget has limit 0: it admits nothing but zero-byte requests
// (TryAcquire(n>0) is false, Acquire(ctx, n>0) returns ErrTooLarge); use New.
type Budget struct {
	mu      sync.Mutex
	limit   int64   // fixed at New; 0 in the zero Budget
	inUse   int64   // bytes acquired and not yet released
	waiters waiters // blocked Acquire calls, oldest first
}

// New returns a Budget admitting up to limit bytes at once.
// It panics if limit is not positive.
func New(limit int64) *Budget {
	if limit <= 0 {
		panic("membudget: limit must be positive")
	}
	return &Budget{limit: limit}
}

// TryAcquire acquires n bytes without blocking and reports whether it did.
// It fails if n does not fit now or if any Acquire is waiting (FIFO fairness).
// n == 0 always succeeds; it panics if n is negative.
func (b *Budget) TryAcquire(n int64) bool {
	checkN(n)
	if n == 0 {
		return true
	}
	b.mu.Lock()
	ok := b.waiters.empty() && b.limit-b.inUse >= n
	if ok {
		b.inUse += n
	}
	b.mu.Unlock()
	return ok
}

// Acquire acquires n bytes, waiting behind earlier waiters (FIFO) until they
// fit. It returns ErrTooLarge at once if n exceeds the limit, and ctx.Err() if
// ctx ends first, including when ctx is already done on entry; on error the
// budget is unchanged. If ctx ends just as the bytes are granted, either
// outcome may be returned, and nil always means the caller holds n bytes.
// n == 0 always succeeds; it panics if n is negative.
// The uncontended path does not allocate; waiting allocates one waiter.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	checkN(n)
	if n == 0 {
		return nil
	}
	done := ctx.Done()
	b.mu.Lock()
	if n > b.limit {
		b.mu.Unlock()
		return ErrTooLarge
	}
	select {
	case <-done:
		b.mu.Unlock()
		return ctx.Err()
	default:
	}
	if b.waiters.empty() && b.limit-b.inUse >= n {
		b.inUse += n
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters.pushBack(w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-done:
	}
	b.mu.Lock()
	select {
	case <-w.ready:
		// Granted while we were being cancelled: give the bytes back.
		b.inUse -= n
	default:
		b.waiters.remove(w)
	}
	// Whoever is at the head now may fit: our bytes came back, or we were
	// the head blocking it.
	b.notifyLocked()
	b.mu.Unlock()
	return ctx.Err()
}

// Release returns n bytes to the budget and grants waiting Acquire calls in
// FIFO order. It panics, leaving the budget unchanged, if n is negative or
// exceeds the bytes in use.
func (b *Budget) Release(n int64) {
	checkN(n)
	b.mu.Lock()
	if n > b.inUse {
		b.mu.Unlock()
		panic("membudget: released more than acquired")
	}
	b.inUse -= n
	b.notifyLocked()
	b.mu.Unlock()
}

// InUse returns the bytes acquired and not yet released.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse
}

// Limit returns the fixed limit given to New.
func (b *Budget) Limit() int64 {
	return b.limit
}

// notifyLocked grants waiters from the head while they fit, and stops at the
// first that does not: skipping it for smaller ones behind would let a stream
// of small requests starve a large one. Callers MUST hold b.mu.
func (b *Budget) notifyLocked() {
	for w := b.waiters.head; w != nil && b.limit-b.inUse >= w.n; w = b.waiters.head {
		b.inUse += w.n
		b.waiters.remove(w)
		close(w.ready)
	}
}

func checkN(n int64) {
	if n < 0 {
		panic("membudget: negative byte count")
	}
}
