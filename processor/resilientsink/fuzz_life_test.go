// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"sync"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
)

// fuzzShutdownWait bounds every Shutdown of FuzzQueue (virtual time), as an
// orchestrator's grace period would.
const fuzzShutdownWait = time.Minute

// startLife starts a new life of the processor on the disk as it is, with
// shutdown strategy s; carried is what the previous life left on disk
// (-1: unknown).
func (r *fuzzRun) startLife(s ShutdownStrategy, carried int64) {
	cfg := *r.base
	cfg.Shutdown.Strategy = s
	l := &fuzzLife{n: len(r.lives), cfg: &cfg, tel: componenttest.NewTelemetry(), view: r.disk.view(), carried: carried}
	l.stuck = r.rec.get() == dsHang && cfg.Timeout == 0
	r.rec.setLife(l.n)
	proc, start, err := fuzzNewInstance(r.t, l.cfg, &fuzzSink{rec: r.rec, life: l.n}, l.tel, l.view)
	if err != nil {
		r.fatalf("create life %d: %v", l.n, err)
	}
	l.proc = proc
	r.lives = append(r.lives, l)
	if err := start(context.Background()); err != nil {
		r.fatalf("Start of life %d failed (a damaged folder must never block start): %v", l.n, err)
	}
	r.quiesce()
	if carried >= 0 && l.last.replayed != carried {
		r.fatalf("life %d replayed %d items, the clean shutdown before left %d on disk", l.n, l.last.replayed, carried)
	}
}

// shutdown shuts the current life down within fuzzShutdownWait, runs after
// (if not nil), reads its final counters and returns what it left on disk
// (-1: unknown).
func (r *fuzzRun) shutdown(after func()) int64 {
	l := r.life()
	ctx, cancel := context.WithTimeout(context.Background(), fuzzShutdownWait)
	defer cancel()
	r.rec.shuttingDown(l.n)
	if err := l.proc.Shutdown(ctx); err != nil {
		r.fatalf("Shutdown of life %d: %v", l.n, err)
	}
	if after != nil {
		after()
		r.noteBurst()
	}
	synctest.Wait()
	r.noteFaultHits(l)
	l.end = lifeClean
	l.last = readFuzzCounts(r, l.tel)
	r.checkOffers(l)
	left := l.last.in() - l.last.settled()
	switch {
	case left < 0:
		r.fatalf("life %d: more items settled (%d) than came in (%d)", l.n, l.last.settled(), l.last.in())
	case !l.cfg.Persistence.Enabled() && left != 0:
		r.fatalf("life %d (memory only): %d items neither sent, dropped nor refused at Shutdown", l.n, left)
	case l.fault || r.disk.faulty():
		return -1
	}
	return left
}

// kill ends the current life as SIGKILL (lifeCrash) or a power cut
// (lifePower) would: its view of the disk dies first so that it writes
// nothing more, its downstream refuses everything, then its Shutdown runs at
// once and its accounting after the last quiescent reading is ignored.
// inFlight, if not nil, are offers under way, waited for once it is dead.
func (r *fuzzRun) kill(how lifeEnd, inFlight *sync.WaitGroup) {
	l := r.life()
	l.end = how
	r.anyDamage = true
	l.view.kill()
	r.rec.kill(l.n)
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_ = l.proc.Shutdown(ctx)
	if inFlight != nil {
		inFlight.Wait()
		r.noteBurst()
		r.keepRunningDrops(l)
		for _, b := range r.batches {
			if b.group == r.step && !b.acked {
				b.unanswered = true
			}
		}
	}
	synctest.Wait()
	if how == lifePower {
		r.disk.powerCut()
	}
	r.startLife(r.base.Shutdown.Strategy, -1)
}

// keepRunningDrops adds to the last reading of a life killed during a burst
// the drops made while it was still running (admission: eviction, too large;
// workers: failed deliveries, expiry), so that the batches they dropped are
// accounted for. What its Shutdown counted (shutdown, spill_failed) is ignored.
func (r *fuzzRun) keepRunningDrops(l *fuzzLife) {
	c := readFuzzCounts(r, l.tel)
	if c.dropped["overflow"] > l.last.dropped["overflow"] {
		r.evictions = append(r.evictions, fuzzEviction{life: l.n, step: r.step})
	}
	for reason, n := range c.dropped {
		if reason != "shutdown" && reason != "spill_failed" {
			l.last.dropped[reason] = max(l.last.dropped[reason], n)
		}
	}
}

// noteFaultHits marks l faulted if an injected fault fired since the last call.
func (r *fuzzRun) noteFaultHits(l *fuzzLife) {
	if h := r.disk.hitCount(); h != r.hits {
		r.hits, l.fault = h, true
	}
}

// abort shuts the current life down at once, before a failure ends the
// bubble, and lets late deliveries end, so that the failure is not buried
// under a deadlock report.
func (r *fuzzRun) abort() {
	if r.aborting {
		return
	}
	r.aborting = true
	if len(r.lives) > 0 && r.life().end == lifeRunning {
		l := r.life()
		l.view.kill()
		r.rec.kill(l.n)
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		_ = l.proc.Shutdown(ctx)
	}
	time.Sleep(fuzzSlowDelivery)
}

// quiesce waits until every goroutine of the bubble is blocked, then reads
// the telemetry and checks the invariants that hold at every step.
func (r *fuzzRun) quiesce() {
	synctest.Wait()
	l := r.life()
	r.noteFaultHits(l)
	before := l.last.dropped["overflow"]
	l.last = readFuzzCounts(r, l.tel)
	if l.last.dropped["overflow"] > before {
		r.evictions = append(r.evictions, fuzzEviction{life: l.n, step: r.step})
	}
	r.checkStep(l)
	if h := r.huge; h != nil {
		r.huge = nil
		if d := l.last.dropped["overflow"] - h.overflowBefore; d > int64(r.batches[h.id].items) {
			r.fatalf("a batch larger than the disk budget must cost only itself: offering #%d dropped %d items (overflow)", h.id, d)
		}
	}
}

// finish runs the last life: healthy disk and downstream, strategy flush; it
// waits (virtual time) until the queue is empty, shuts down, and checks the
// end-of-input invariants.
func (r *fuzzRun) finish() {
	r.note("finish")
	r.disk.clearFaults()
	r.rec.set(dsOK)
	r.startLife(ShutdownStrategyFlush, r.shutdown(nil))
	l := r.life()
	for i := 0; l.last.queueItems+l.last.diskItems > 0; i++ {
		if i == 600 {
			r.fatalf("stall: %d items in memory and %d on disk after 10 minutes with a healthy downstream and disk", l.last.queueItems, l.last.diskItems)
		}
		time.Sleep(time.Second)
		r.quiesce()
	}
	r.shutdown(nil)
	// Deliveries that ignore cancellation end by themselves (the bubble
	// fails if a goroutine is left after that).
	time.Sleep(fuzzSlowDelivery)
	synctest.Wait()
	r.checkEnd()
}
