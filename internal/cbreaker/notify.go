package cbreaker

// transition is one state change waiting for OnStateChange.
type transition struct {
	from, to State
}

// transitionQueue holds the transitions not yet delivered to OnStateChange,
// in order. It is guarded by Breaker.mu.
type transitionQueue struct {
	pending    []transition
	head       int  // pending[head:] are not delivered yet
	delivering bool // a goroutine is running notify
}

// push queues tr. Callers MUST hold b.mu.
func (q *transitionQueue) push(tr transition) {
	q.pending = append(q.pending, tr)
}

// shouldNotifyLocked reports whether the caller must run notify after
// unlocking: transitions are pending and nobody is delivering them.
// Callers MUST hold b.mu.
func (b *Breaker) shouldNotifyLocked() bool {
	return b.head < len(b.pending) && !b.delivering
}

// notify delivers pending transitions to OnStateChange, one at a time and in
// order, without holding b.mu, until none is left. Only one goroutine
// delivers at a time; a goroutine that finds another one delivering leaves
// its transitions to it. Callers MUST NOT hold b.mu.
func (b *Breaker) notify() {
	b.mu.Lock()
	if b.delivering {
		b.mu.Unlock()
		return
	}
	b.delivering = true
	for b.head < len(b.pending) {
		tr := b.pending[b.head]
		b.pending[b.head] = transition{}
		b.head++
		b.mu.Unlock()
		b.deliver(tr)
		b.mu.Lock()
	}
	b.pending = b.pending[:0]
	b.head = 0
	b.delivering = false
	b.mu.Unlock()
}

// deliver calls OnStateChange. If the callback panics, the panic goes on
// up, and the next transition's goroutine delivers what is still pending.
func (b *Breaker) deliver(tr transition) {
	returned := false
	defer func() {
		if !returned {
			b.mu.Lock()
			b.delivering = false
			b.mu.Unlock()
		}
	}()
	b.onStateChange(tr.from, tr.to)
	returned = true
}
