package membudget

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
	limit int64        // fixed at New; 0 in the zero Budget
	inUse atomic.Int64 // bytes acquired and not yet released
	nwait atomic.Int64 // number of queued waiters; written under mu

	mu      sync.Mutex
	waiters waiters // blocked Acquire calls, oldest first; guarded by mu
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
	return n == 0 || b.nwait.Load() == 0 && b.tryAdd(n)
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
	switch {
	case n == 0:
		return nil
	case n > b.limit:
		return ErrTooLarge
	}
	done := ctx.Done()
	select {
	case <-done:
		return ctx.Err()
	default:
	}
	if b.nwait.Load() == 0 && b.tryAdd(n) {
		return nil
	}

	w := &waiter{n: n, ready: make(chan struct{})}
	b.mu.Lock()
	b.waiters.pushBack(w)
	b.nwait.Add(1)
	// A Release that ran before nwait counted us did not notify: look again.
	b.notifyLocked()
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
		b.inUse.Add(-n)
	default:
		b.waiters.remove(w)
		b.nwait.Add(-1)
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
	for {
		cur := b.inUse.Load()
		if n > cur {
			panic("membudget: released more than acquired")
		}
		if b.inUse.CompareAndSwap(cur, cur-n) {
			break
		}
	}
	// Pairs with the nwait.Add in Acquire: either we see the waiter, or its
	// notifyLocked sees the bytes we just returned.
	if b.nwait.Load() > 0 {
		b.mu.Lock()
		b.notifyLocked()
		b.mu.Unlock()
	}
}

// InUse returns the bytes acquired and not yet released. It does not lock.
func (b *Budget) InUse() int64 {
	return b.inUse.Load()
}

// Limit returns the fixed limit given to New.
func (b *Budget) Limit() int64 {
	return b.limit
}

// tryAdd adds n to inUse if the result stays within the limit.
func (b *Budget) tryAdd(n int64) bool {
	for {
		cur := b.inUse.Load()
		if n > b.limit-cur {
			return false
		}
		if b.inUse.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// notifyLocked grants waiters from the head while they fit, and stops at the
// first that does not: skipping it for smaller ones behind would let a stream
// of small requests starve a large one. Callers MUST hold b.mu.
func (b *Budget) notifyLocked() {
	for w := b.waiters.head; w != nil && b.tryAdd(w.n); w = b.waiters.head {
		b.waiters.remove(w)
		b.nwait.Add(-1)
		close(w.ready)
	}
}

func checkN(n int64) {
	if n < 0 {
		panic("membudget: negative byte count")
	}
}
