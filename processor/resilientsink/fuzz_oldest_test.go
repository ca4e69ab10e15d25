// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

// fuzzEviction is a step of a life in which the overflow drop count grew.
type fuzzEviction struct {
	life, step int
}

// checkOldest checks invariant 3: drop_oldest never drops a batch while an
// older one survives, outside the batches in a worker's hands. It looks at
// lives whose only drops are overflow (so a batch of that life that was
// acknowledged, never attempted and never delivered was evicted), under
// memory only and write_ahead (spill may evict the disk tail before the
// memory head, DESIGN). A lost batch x was evicted at the latest in the last
// step of its life where overflow drops grew; every older batch of its life
// first delivered after that step was held when x was evicted. More of those
// than num_workers (the batches in a worker's hands) is a violation.
func (r *fuzzRun) checkOldest(lost []int, delivered []fuzzDelivery) {
	if r.base.Overflow != OverflowPolicyDropOldest || r.base.Persistence.Mode == PersistenceModeSpill || r.base.MaxAge > 0 {
		return
	}
	firstStep := map[int]int{}
	for _, d := range delivered {
		if _, ok := firstStep[d.id]; !ok {
			firstStep[d.id] = d.step
		}
	}
	r.rec.mu.Lock()
	attempted := func(id int) bool { return r.rec.attempts[id] > 0 }
	defer r.rec.mu.Unlock()
	for _, id := range lost {
		x := r.batches[id]
		l := r.lives[x.life]
		if attempted(id) || l.fault || !onlyOverflow(l.last.dropped) {
			continue
		}
		last := -1
		for _, e := range r.evictions {
			if e.life == x.life && e.step >= x.step {
				last = e.step
			}
		}
		if last < 0 {
			continue
		}
		var older []int
		for _, y := range r.batches[:id] {
			if s, ok := firstStep[y.id]; ok && y.life == x.life && y.group < x.group && s > last {
				older = append(older, y.id)
			}
		}
		if len(older) > r.base.NumWorkers {
			r.fatalf("invariant 3 (drop_oldest): batch #%d was dropped (by step %d) while older batches %v survived", id, last, older)
		}
	}
}

// onlyOverflow reports whether every drop counted is of reason overflow.
func onlyOverflow(dropped map[string]int64) bool {
	for reason, n := range dropped {
		if reason != "overflow" && n > 0 {
			return false
		}
	}
	return true
}
