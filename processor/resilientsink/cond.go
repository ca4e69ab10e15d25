// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"slices"
	"sync"
	"time"
)

// cond is a condition variable whose wait also ends with a context or at a
// time. Each waiter parks on a one-slot channel of its own, taken from a
// pool, so broadcasting never blocks and, in steady state, nothing
// allocates. Callers MUST hold L around every method.
type cond struct {
	L       sync.Locker
	waiters []chan struct{}
	pool    sync.Pool // of chan struct{}
}

func newCond(l sync.Locker) *cond {
	return &cond{L: l, pool: sync.Pool{New: func() any { return make(chan struct{}, 1) }}}
}

// broadcast wakes every waiter.
func (c *cond) broadcast() {
	for _, ch := range c.waiters {
		ch <- struct{}{}
	}
	clear(c.waiters)
	c.waiters = c.waiters[:0]
}

// wait unlocks L, waits for a broadcast, ctx's end or until (if not zero),
// and locks L again. A wake-up only says "look again".
func (c *cond) wait(ctx context.Context, until time.Time) {
	var timeout <-chan time.Time
	if !until.IsZero() {
		d := time.Until(until)
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	ch := c.pool.Get().(chan struct{})
	c.waiters = append(c.waiters, ch)
	c.L.Unlock()
	woken := false
	select {
	case <-ch:
		woken = true
	case <-ctx.Done():
	case <-timeout:
	}
	c.L.Lock()
	if !woken {
		if i := slices.Index(c.waiters, ch); i >= 0 {
			c.waiters = slices.Delete(c.waiters, i, i+1)
		} else {
			<-ch // a broadcast reached it meanwhile: empty the slot for reuse
		}
	}
	c.pool.Put(ch)
}
