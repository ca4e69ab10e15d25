// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/processor"
)

// FuzzQueue is a model-based test of the whole processor: it decodes a config
// and a sequence of steps from its input and runs them, in a synctest bubble
// (virtual time; the bubble fails if a goroutine is left), against the
// processor built by the public factory, its spools on an in-memory,
// fault-injecting, crash-capable file system (memDisk). Steps: offers of
// random sizes, downstream switches (success, retryable, permanent, hang,
// panic), time, disk faults, SIGKILL, power cut, SIGHUP-style restart. After
// every step, at a quiescent moment, the invariants of fuzz_model_test.go are
// checked; at the end a last life with a healthy downstream drains the queue
// and every acknowledged batch must be delivered or counted as dropped.
// To explore:
//
//	go test -run '^$' -fuzz FuzzQueue -parallel 1 ./processor/resilientsink
//
// Input: 3 config bytes (fuzzConfig), then steps of an op byte and an
// argument byte. By op%16:
//
//	5   downstream: arg%7 = ok, retryable, permanent, hang (until ctx done),
//	    panic, slow (ignores ctx, accepts after 4s), slow-fail (fails after 4s)
//	6   sleep (virtual): arg%6 = 10ms, 100ms, 1s, 5s, 30s, 2m
//	7   disk: arg%12 = full (ENOSPC until healed), healed, EIO write, short
//	    write, EIO fsync, short write + failing truncate, failing rename,
//	    failing remove, a segment unreadable, EIO on an ack write, bit rot in
//	    a header, bit rot anywhere
//	8   SIGKILL; 9 power cut; 10 restart (SIGHUP), next strategy arg%3
//	11  burst: 2-4 concurrent offers; 12 restart during a burst; 13 SIGKILL
//	    (arg even) or power cut during a burst
//	else offer one batch: arg>>4 == 15 huge (3 MiB or 1.1 MiB, arg&1), else
//	    1+(arg>>2&3) records of 64 B, 4 KiB, 48 KiB or 256 KiB (arg&3)
func FuzzQueue(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 || len(data) > 256 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			r := newFuzzRun(t, data)
			r.run()
		})
	})
}

// fuzzSeeds are a few hand-written inputs; testdata/fuzz/FuzzQueue holds the
// minimized failures.
var fuzzSeeds = [][]byte{
	{0x00, 0x06, 0x03, 0, 0x05, 1, 0x05, 2, 0x01, 6, 2},                // memory, drop_oldest
	{0x04, 0x05, 0x13, 0, 0x06, 5, 1, 0, 0x0a, 6, 3, 10, 1, 0, 0x06},   // spill, dead downstream, restart
	{0x08, 0x05, 0x03, 0, 0x06, 0, 0x06, 8, 0, 0, 0x05, 9, 0, 6, 3},    // write_ahead, crash, power cut
	{0x09, 0x01, 0x01, 5, 3, 0, 0x0b, 0, 0x0b, 6, 2, 12, 0x03, 10, 2},  // write_ahead drop_newest, hang
	{0x05, 0x02, 0x12, 7, 0, 0, 0x0e, 0, 0x0e, 7, 1, 0, 0x02, 6, 3},    // spill drop_newest, disk full
	{0x1b, 0x04, 0x20, 5, 1, 0, 0xf0, 0, 0x0c, 7, 2, 6, 3, 8, 0, 6, 2}, // write_ahead block, 2 workers
	{0x2a, 0x05, 0x01, 5, 3, 11, 2, 11, 0x0d, 10, 1, 5, 0, 6, 2},       // 2 workers, bursts, hang
	{0x26, 0x86, 0x00, 5, 4, 0, 1, 0, 2, 6, 4, 5, 2, 0, 3, 6, 4},       // spill reject, panic, permanent
}

// lifeEnd is how a life of the processor ended.
type lifeEnd int

const (
	lifeRunning lifeEnd = iota
	lifeClean           // Shutdown (SIGTERM, SIGHUP)
	lifeCrash           // SIGKILL: the page cache survives
	lifePower           // power cut: only what was fsynced survives
)

// fuzzLife is one process lifetime of the processor.
type fuzzLife struct {
	n     int
	cfg   *Config
	proc  processor.Logs
	tel   *componenttest.Telemetry
	view  *memView
	end   lifeEnd
	last  fuzzCounts // the last quiescent reading (the final one after a clean Shutdown)
	fault bool       // a disk fault was injected during this life
	// spoiled is set when a segment file became unreadable during this life.
	spoiled bool
	// stuck is set once a delivery may hang for good (hang without timeout).
	stuck bool
	// carried is what the previous life left on disk, to be replayed; -1 if unknown.
	carried int64
}

// fuzzBatch is one offered batch.
type fuzzBatch struct {
	id, items, life, step int
	// group orders offers: batches of one burst share it.
	group int
	acked bool // ConsumeLogs returned nil
	// unanswered marks an offer refused while its process was being killed:
	// a dead process answers nothing, so the client would retry it.
	unanswered bool
}

// fuzzHuge is an offer of a batch larger than the disk budget.
type fuzzHuge struct {
	id             int
	overflowBefore int64
}

// fuzzRun runs one input.
type fuzzRun struct {
	t       *testing.T
	in      *fuzzInput
	base    *Config
	disk    *memDisk
	rec     *fuzzRecorder
	lives   []*fuzzLife
	batches []*fuzzBatch
	step    int
	log     []string // the steps taken, for failure messages
	// evictions are the steps in which the overflow drop count grew.
	evictions []fuzzEviction
	// mustDrain is set for a step that must leave the queue empty.
	mustDrain bool
	// maxRecord is the largest record offered so far.
	maxRecord int
	// huge is the batch offered in this step that can never fit on disk.
	huge *fuzzHuge
	// hits is the count of injected faults that fired, at the last look.
	hits int
	// aborting is set once a failure shuts the current life down.
	aborting bool
	// uncountable are batches whose frame header rotted.
	uncountable map[int]bool
	// anyFault is set once a disk fault was injected.
	anyFault bool
	// anyDamage is set once a fault, crash or power cut happened.
	anyDamage bool
}

func newFuzzRun(t *testing.T, data []byte) *fuzzRun {
	in := &fuzzInput{data: data}
	base := fuzzConfig(in)
	if err := base.Validate(); err != nil {
		t.Fatalf("harness made an invalid config %s: %v", fuzzDescribe(base), err)
	}
	disk := newMemDisk()
	disk.strictDirs, disk.zeroTails = data[2]&0x40 != 0, data[2]&0x80 != 0
	return &fuzzRun{t: t, in: in, base: base, disk: disk, rec: newFuzzRecorder(), uncountable: map[int]bool{}}
}

func (r *fuzzRun) life() *fuzzLife { return r.lives[len(r.lives)-1] }

func (r *fuzzRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.abort()
	r.t.Fatalf("%s\nconfig: %s (power cut: unsynced folders lost %v, zero-filled tails %v)\nsteps: %s",
		fmt.Sprintf(format, args...), fuzzDescribe(r.base), r.disk.strictDirs, r.disk.zeroTails, strings.Join(r.log, "; "))
}

func (r *fuzzRun) note(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("%d:", r.step)+fmt.Sprintf(format, args...))
}

func (r *fuzzRun) run() {
	r.startLife(r.base.Shutdown.Strategy, -1)
	for r.step = 0; r.in.more(); r.step++ {
		r.rec.setStep(r.step)
		r.do(r.in.byte(), r.in.byte())
		r.quiesce()
	}
	r.finish()
}

// do runs one step.
func (r *fuzzRun) do(op, arg byte) {
	switch op % 16 {
	case 5:
		m := dsMode(int(arg) % int(numDSModes))
		r.note("downstream %d", m)
		r.rec.set(m)
		if m == dsHang && r.life().cfg.Timeout == 0 {
			r.life().stuck = true
		}
	case 6:
		d := fuzzSleeps[int(arg)%len(fuzzSleeps)]
		r.note("sleep %s", d)
		r.mustDrain = d >= 30*time.Second && r.rec.get() == dsOK && !r.life().stuck
		time.Sleep(d)
	case 7:
		r.fault(arg)
	case 8:
		r.note("SIGKILL")
		r.kill(lifeCrash, nil)
	case 9:
		r.note("power cut")
		r.kill(lifePower, nil)
	case 10:
		s := fuzzStrategies[int(arg)%len(fuzzStrategies)]
		r.note("restart (next %s)", s)
		r.startLife(s, r.shutdown(nil))
	case 11:
		r.burst(arg)
	case 12:
		r.restartUnderLoad(arg)
	case 13:
		wg := r.startBurst(arg)
		runtime.Gosched()
		how := []lifeEnd{lifeCrash, lifePower}[arg&1]
		r.note("%s under load", map[lifeEnd]string{lifeCrash: "SIGKILL", lifePower: "power cut"}[how])
		r.kill(how, wg)
	default:
		r.offer(arg)
	}
}

// newBatch registers a batch of the given shape, in group.
func (r *fuzzRun) newBatch(records, group int) *fuzzBatch {
	b := &fuzzBatch{id: len(r.batches), items: records, life: r.life().n, step: r.step, group: group}
	r.batches = append(r.batches, b)
	return b
}

// offer offers one batch and notes the answer.
func (r *fuzzRun) offer(arg byte) {
	records, size := fuzzShape(arg)
	r.maxRecord = max(r.maxRecord, size)
	b := r.newBatch(records, r.step)
	err := r.life().proc.ConsumeLogs(context.Background(), fuzzLogs(b.id, records, size))
	b.acked = err == nil
	r.note("offer #%d %dx%d acked=%v", b.id, records, size, b.acked)
	if p := r.base.Persistence; p.Enabled() && int64(records*size) > int64(p.MaxMegabytes)<<20 {
		r.huge = &fuzzHuge{id: b.id, overflowBefore: r.life().last.dropped["overflow"]}
	}
}

// burst offers 2-4 batches at once, from as many goroutines.
func (r *fuzzRun) burst(arg byte) {
	r.startBurst(arg).Wait()
	r.noteBurst()
}

// noteBurst notes the answers to the last burst.
func (r *fuzzRun) noteBurst() {
	var acked []int
	for _, b := range r.batches {
		if b.group == r.step && b.acked {
			acked = append(acked, b.id)
		}
	}
	r.note("acked %v", acked)
}

// startBurst starts offering 2-4 batches at once, from as many goroutines.
func (r *fuzzRun) startBurst(arg byte) *sync.WaitGroup {
	n := 2 + int(arg)%3
	var wg sync.WaitGroup
	for i := range n {
		records, size := fuzzShape(arg + byte(i)*37)
		r.maxRecord = max(r.maxRecord, size)
		b := r.newBatch(records, r.step)
		ld := fuzzLogs(b.id, records, size)
		proc := r.life().proc
		wg.Go(func() { b.acked = proc.ConsumeLogs(context.Background(), ld) == nil })
	}
	first := r.batches[len(r.batches)-n]
	r.note("burst #%d..#%d", first.id, first.id+n-1)
	return &wg
}

// restartUnderLoad is a SIGHUP while a burst of offers is under way.
func (r *fuzzRun) restartUnderLoad(arg byte) {
	wg := r.startBurst(arg)
	r.note("restart under load")
	left := r.shutdown(wg.Wait)
	r.startLife(r.life().cfg.Shutdown.Strategy, left)
}

// fault injects a disk fault (or clears them).
func (r *fuzzRun) fault(arg byte) {
	l := r.life()
	kind := int(arg) % 12
	if kind == 1 {
		r.note("disk healthy")
		r.disk.clearFaults()
		return
	}
	l.fault, r.anyDamage, r.anyFault = true, true, true
	switch kind {
	case 0:
		r.disk.inject(memFault{op: memWrite, match: ".seg", err: syscall.ENOSPC, times: -1})
	case 2:
		r.disk.inject(memFault{op: memWrite, match: ".seg", err: syscall.EIO, times: 1})
	case 3:
		r.disk.inject(memFault{op: memWrite, match: ".seg", err: syscall.EIO, short: true, times: 1})
	case 4:
		r.disk.inject(memFault{op: memSync, match: ".seg", err: syscall.EIO, times: 1})
	case 5:
		r.disk.inject(memFault{op: memWrite, match: ".seg", err: syscall.EIO, short: true, times: 1})
		r.disk.inject(memFault{op: memTruncate, match: ".seg", err: syscall.EIO, times: 1})
	case 6:
		r.disk.inject(memFault{op: memRename, err: syscall.EIO, times: 1})
	case 7:
		r.disk.inject(memFault{op: memRemove, err: syscall.EIO, times: 1})
	case 8:
		if r.disk.spoil(".seg", int(arg/12)) {
			r.life().spoiled = true
		}
	case 9:
		r.disk.inject(memFault{op: memWrite, match: ".ack", err: syscall.EIO, times: 1})
	case 10: // a header byte of the first frames
		r.rotted(r.disk.rot(".seg", 0, int(arg/12)))
	case 11: // anywhere in a segment
		r.rotted(r.disk.rot(".seg", int(arg/12)%3, int(arg)*131))
	}
	r.note("disk fault %d", kind)
}

// rotted notes bit rot in batch id: in its frame's header, its items cannot
// be counted (DESIGN: counted "with its item count where the header is
// intact"), so its loss is excused.
func (r *fuzzRun) rotted(id int, inHeader, ok bool) {
	if ok && inHeader && id >= 0 {
		r.uncountable[id] = true
		r.note("rot in the header of #%d", id)
	}
}
