package membudget

// waiter is one blocked Acquire. ready is closed once its bytes are granted.
type waiter struct {
	n          int64
	ready      chan struct{}
	prev, next *waiter
}

// waiters is an intrusive doubly linked FIFO of blocked Acquire calls. The
// zero value is empty. It is not safe for concurrent use: Budget.mu guards it.
type waiters struct {
	head, tail *waiter
}

func (l *waiters) empty() bool { return l.head == nil }

func (l *waiters) pushBack(w *waiter) {
	w.prev, w.next = l.tail, nil
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
}

// remove unlinks w, which must be in the list.
func (l *waiters) remove(w *waiter) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
}
