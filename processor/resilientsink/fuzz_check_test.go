// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"fmt"
)

// checkEnd checks, once the last life has drained and shut down, what the
// downstream received against what was offered and what was counted.
func (r *fuzzRun) checkEnd() {
	delivered := r.rec.snapshot()
	got := map[int]bool{}
	for _, d := range delivered {
		got[d.id] = true
	}
	r.checkOrder(delivered)
	var lostItems int64
	var lost []int
	for _, b := range r.batches {
		switch {
		case !b.acked && !b.unanswered && got[b.id]:
			r.fatalf("invariant 2 (refused means not accepted): batch #%d was refused to its caller, yet delivered", b.id)
		case b.acked && !got[b.id] && !r.excused(b):
			lostItems += int64(b.items)
			lost = append(lost, b.id)
		}
	}
	dropped := map[string]int64{}
	var droppedTotal int64
	for _, l := range r.lives {
		for reason, n := range l.last.dropped {
			dropped[reason] += n
			droppedTotal += n
		}
	}
	if lostItems > droppedTotal {
		r.fatalf("invariant 2 (nothing acknowledged lost): acknowledged batches %v (%d items) never delivered, but only %d items counted dropped %v",
			lost, lostItems, droppedTotal, dropped)
	}
	r.checkReasons(dropped)
	r.checkOldest(lost, delivered)
}

// excused reports whether an acknowledged batch may be lost without a count:
// its frame's header rotted, or a crash or power cut came in or after its
// life, where the mode does not promise to survive it (memory only; spill;
// write_ahead without sync at a power cut), or a segment file became
// unreadable before a restart, which the next Open moves aside without
// knowing what it held (the disk did not work).
func (r *fuzzRun) excused(b *fuzzBatch) bool {
	if r.uncountable[b.id] {
		return true
	}
	p := r.base.Persistence
	for i, l := range r.lives[b.life:] {
		switch {
		case l.spoiled && b.life+i < len(r.lives)-1:
			return true
		case l.end != lifeCrash && l.end != lifePower:
		case !p.Enabled() || p.Mode == PersistenceModeSpill:
			return true
		case l.end == lifePower && !p.Sync:
			return true
		}
	}
	return false
}

// mayRepeat reports whether a batch first delivered in life from may be
// delivered again in life to: a life in [from, to) ended by a crash or power
// cut, or one in [from, to] met a disk fault (a lost ack).
func (r *fuzzRun) mayRepeat(from, to int) bool {
	for _, l := range r.lives[from : to+1] {
		if l.fault || l.n < to && (l.end == lifeCrash || l.end == lifePower) {
			return true
		}
	}
	return false
}

// crashedBetween reports whether a life in [from, to) ended by a crash or a
// power cut.
func (r *fuzzRun) crashedBetween(from, to int) bool {
	for _, l := range r.lives[from:to] {
		if l.end == lifeCrash || l.end == lifePower {
			return true
		}
	}
	return false
}

// checkOrder checks that no batch is delivered twice but across a crash or
// a disk fault, and, unless a disk fault was injected (the shutdown spill
// then keeps a batch it cannot copy ahead out of order rather than lose it),
// (invariant 4) with num_workers 1, that first deliveries come in id order.
func (r *fuzzRun) checkOrder(delivered []fuzzDelivery) {
	first := map[int]int{} // id -> life of its first delivery
	late := map[int]bool{} // ids delivered after their life shut down
	maxID := -1
	group := func(id int) int { return r.batches[id].group }
	for _, d := range delivered {
		if d.late {
			// Abandoned by Shutdown, so written to disk: it may come again,
			// and it may come after younger batches of the next life.
			late[d.id] = true
			continue
		}
		if late[d.id] {
			continue
		}
		if l, ok := first[d.id]; ok {
			if !r.mayRepeat(l, d.life) {
				r.fatalf("batch #%d delivered twice (lives %d and %d) without a crash or disk fault between", d.id, l, d.life)
			}
			continue
		}
		first[d.id] = d.life
		if r.crashedBetween(r.batches[d.id].life, d.life) {
			// A batch dropped before a crash or power cut whose ack died
			// with it (acks are not fsynced one by one) comes back, after
			// younger batches: at-least-once, not a reordering.
			continue
		}
		if r.base.NumWorkers == 1 && !r.anyFault && maxID >= 0 && group(d.id) < group(maxID) {
			r.fatalf("invariant 4 (arrival order, num_workers 1): batch #%d delivered (step %d, life %d) after #%d", d.id, d.step, d.life, maxID)
		}
		maxID = max(maxID, d.id)
	}
}

// checkReasons checks that each drop reason fits the steps taken.
func (r *fuzzRun) checkReasons(dropped map[string]int64) {
	itemsOf := map[int]int64{}
	for _, b := range r.batches {
		itemsOf[b.id] = int64(b.items)
	}
	bound := func(m map[int]int) int64 {
		var n int64
		for id, times := range m {
			n += int64(times) * itemsOf[id]
		}
		return n
	}
	r.rec.mu.Lock()
	permanent, panics := bound(r.rec.permanent), bound(r.rec.panicked)
	r.rec.mu.Unlock()
	var bad []string
	if dropped["permanent_error"] > permanent {
		bad = append(bad, fmt.Sprintf("permanent_error %d > %d items answered with a permanent error", dropped["permanent_error"], permanent))
	}
	if dropped["panic"] > panics {
		bad = append(bad, fmt.Sprintf("panic %d > %d items that panicked", dropped["panic"], panics))
	}
	if dropped["expired"] > 0 && r.base.MaxAge == 0 {
		bad = append(bad, fmt.Sprintf("expired %d without max_age", dropped["expired"]))
	}
	if !r.anyDamage && dropped["corrupt"] > 0 {
		bad = append(bad, fmt.Sprintf("corrupt %d with a healthy disk", dropped["corrupt"]))
	}
	// spill_failed also counts what the disk budget cannot take at the
	// shutdown spill.
	if !r.base.Persistence.Enabled() && dropped["spill_failed"] > 0 {
		bad = append(bad, fmt.Sprintf("spill_failed %d without persistence", dropped["spill_failed"]))
	}
	// With persistence, what Shutdown holds goes to disk, not away.
	if r.base.Persistence.Enabled() && dropped["shutdown"] > 0 {
		bad = append(bad, fmt.Sprintf("shutdown %d with persistence (%s)", dropped["shutdown"], r.base.Persistence.Mode))
	}
	if len(bad) > 0 {
		r.fatalf("drop reasons that do not fit the steps: %v", bad)
	}
}
