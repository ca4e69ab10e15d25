// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// fuzzIDKey is the log attribute that carries a batch's id in FuzzQueue.
const fuzzIDKey = "fuzz_id"

// dsMode is what the fuzz downstream does with a delivery.
type dsMode int

const (
	dsOK        dsMode = iota // accept
	dsRetryable               // retryable error
	dsPermanent               // permanent error
	dsHang                    // block until the delivery's context ends
	dsPanic                   // panic
	dsSlow                    // ignore cancellation: accept after fuzzSlowDelivery
	dsSlowFail                // ignore cancellation: retryable error after fuzzSlowDelivery
	numDSModes
)

var (
	errFuzzDown = errors.New("fuzz downstream: unavailable")
	errFuzzDead = errors.New("fuzz downstream: the process of this delivery is dead")
)

// fuzzSlowDelivery is how long a dsSlow delivery takes, whatever its context.
const fuzzSlowDelivery = 4 * time.Second

// fuzzDelivery is one successful delivery.
type fuzzDelivery struct {
	id, items, life, step int
	// late is set for a slow delivery that completed once the Shutdown of
	// its life began: Shutdown may have abandoned it (left it on disk).
	late bool
}

// fuzzRecorder is the downstream of every life of one FuzzQueue input: it
// records, per batch id, what it did. A delivery from a life other than the
// current one (a killed process) is refused and not recorded.
type fuzzRecorder struct {
	mu        sync.Mutex
	mode      dsMode
	life      int
	step      int
	delivered []fuzzDelivery
	permanent map[int]int // id -> permanent errors returned
	panicked  map[int]int // id -> panics
	attempts  map[int]int // id -> deliveries attempted (any outcome)
	killed    map[int]bool
	shutting  map[int]bool // lives whose Shutdown began
}

func newFuzzRecorder() *fuzzRecorder {
	return &fuzzRecorder{permanent: map[int]int{}, panicked: map[int]int{}, attempts: map[int]int{}, killed: map[int]bool{}, shutting: map[int]bool{}}
}

func (r *fuzzRecorder) set(m dsMode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode = m
}

func (r *fuzzRecorder) get() dsMode {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mode
}

// setLife makes life the only one whose deliveries start.
func (r *fuzzRecorder) setLife(life int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.life = life
}

// shuttingDown notes that the Shutdown of life began: a slow delivery that
// completes from now on may have been abandoned by it.
func (r *fuzzRecorder) shuttingDown(life int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutting[life] = true
}

// kill makes every delivery of life fail from now on, even one under way.
func (r *fuzzRecorder) kill(life int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.killed[life] = true
	r.life = -1
}

func (r *fuzzRecorder) setStep(step int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step = step
}

func (r *fuzzRecorder) snapshot() []fuzzDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fuzzDelivery(nil), r.delivered...)
}

// fuzzSink is the downstream of one life.
type fuzzSink struct {
	rec  *fuzzRecorder
	life int
}

var _ consumer.Logs = (*fuzzSink)(nil)

func (*fuzzSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *fuzzSink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	id, items := fuzzBatchID(ld), ld.LogRecordCount()
	r := s.rec
	r.mu.Lock()
	if s.life != r.life {
		r.mu.Unlock()
		return errFuzzDead
	}
	r.attempts[id]++
	mode := r.mode
	switch mode {
	case dsOK:
		r.delivered = append(r.delivered, fuzzDelivery{id: id, items: items, life: s.life, step: r.step})
	case dsPermanent:
		r.permanent[id]++
	case dsPanic:
		r.panicked[id]++
	}
	r.mu.Unlock()
	switch mode {
	case dsRetryable:
		return errFuzzDown
	case dsPermanent:
		return consumererror.NewPermanent(errFuzzDown)
	case dsHang:
		<-ctx.Done()
		return ctx.Err()
	case dsPanic:
		panic("fuzz downstream panic")
	case dsSlow:
		time.Sleep(fuzzSlowDelivery)
		return s.lateAccept(id, items)
	case dsSlowFail:
		time.Sleep(fuzzSlowDelivery)
		return errFuzzDown
	}
	return nil
}

// lateAccept accepts a slow delivery, unless its process was killed meanwhile.
func (s *fuzzSink) lateAccept(id, items int) error {
	r := s.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed[s.life] {
		return errFuzzDead
	}
	late := s.life != r.life || r.shutting[s.life]
	r.delivered = append(r.delivered, fuzzDelivery{id: id, items: items, life: s.life, step: r.step, late: late})
	return nil
}

// fuzzBatchID reads the id of a batch from its first record; -1 if none.
func fuzzBatchID(ld plog.Logs) int {
	if ld.LogRecordCount() == 0 {
		return -1
	}
	v, ok := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(fuzzIDKey)
	if !ok {
		return -1
	}
	return int(v.Int())
}

// fuzzLogs builds batch id: records records with a body of size bytes each.
func fuzzLogs(id, records, size int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	body := string(make([]byte, size))
	for range records {
		lr := lrs.AppendEmpty()
		lr.Attributes().PutInt(fuzzIDKey, int64(id))
		lr.Body().SetStr(body)
		lr.SetTimestamp(pcommon.Timestamp(id))
	}
	return ld
}
