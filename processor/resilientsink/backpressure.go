// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// refusal is an error handed back to the caller that says when to come
// back: the OTLP receiver answers it as its gRPC status (RESOURCE_EXHAUSTED
// when a budget is full, UNAVAILABLE when shutting down or the disk fails)
// with RetryInfo, and over HTTP as 429 or 503 with Retry-After.
type refusal struct {
	err   error
	code  codes.Code
	delay time.Duration
	// processor names the instance in the message.
	processor string
}

func (r *refusal) Error() string { return r.processor + ": " + r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// GRPCStatus is the status the OTLP receiver answers with.
func (r *refusal) GRPCStatus() *status.Status {
	st := status.New(r.code, r.Error())
	withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(r.delay)})
	if err != nil {
		return st
	}
	return withInfo
}

// refusalJitter spreads refused clients' delays by +-20%, so that they do not
// come back in step.
const refusalJitter = 0.2

// refusal turns an error of the queue into one the client can act on.
func (c *core[T]) refusal(err error, bytes int64) error {
	code := codes.ResourceExhausted
	if errors.Is(err, errShutDown) || errors.Is(err, errSpillFailed) {
		code = codes.Unavailable
	}
	bp := c.cfg.Backpressure
	var delay time.Duration
	switch {
	case errors.Is(err, errShutDown):
		delay = bp.RetryAfterMin // a reload's new instance takes over at once
	case c.breaker != nil && !c.breaker.OpenUntil().IsZero():
		delay = time.Until(c.breaker.OpenUntil()) // nothing drains before the next probe
	default:
		delay = c.q.timeToFit(bytes, errors.Is(err, errDiskFull), bp.RetryAfterMax)
	}
	delay = jitter(delay, refusalJitter, rand.Float64())
	delay = min(max(delay, bp.RetryAfterMin), bp.RetryAfterMax)
	return &refusal{err: err, code: code, delay: delay, processor: c.name}
}

// drainWindow is how many seconds the drain rate is measured over.
const drainWindow = 5

// drainMeter measures how fast the queue frees room: batches, memory bytes
// and disk bytes freed per second over the last drainWindow seconds. The
// queue's lock guards it.
type drainMeter struct {
	sec                  [drainWindow]int64 // the unix second of each bucket
	batches, mem, diskBy [drainWindow]int64
	// last is when room was last freed.
	last time.Time
}

// add records room freed at now.
func (m *drainMeter) add(now time.Time, batches, mem, disk int64) {
	s := now.Unix()
	i := s % drainWindow
	if m.sec[i] != s {
		m.sec[i], m.batches[i], m.mem[i], m.diskBy[i] = s, 0, 0, 0
	}
	m.batches[i] += batches
	m.mem[i] += mem
	m.diskBy[i] += disk
	if batches > 0 || mem > 0 || disk > 0 {
		m.last = now
	}
}

// rates returns the room freed per second over the window ending at now.
func (m *drainMeter) rates(now time.Time) (batches, mem, disk float64) {
	s := now.Unix()
	for i := range drainWindow {
		if s-m.sec[i] < drainWindow {
			batches += float64(m.batches[i])
			mem += float64(m.mem[i])
			disk += float64(m.diskBy[i])
		}
	}
	return batches / drainWindow, mem / drainWindow, disk / drainWindow
}

// promises is the schedule of the room promised to refused clients: for
// each tier, the time by which the room told to the clients refused so far
// will have been freed at the measured drain rate. The queue's lock guards
// it.
type promises struct{ mem, disk time.Time }

// downThrottle is the downstream's throttle as the workers saw it. The
// queue's lock guards it.
type downThrottle struct {
	// since is the first throttle after room was last freed; until is the
	// latest time a throttled batch is to be tried again (its backoff, at
	// least the hint, capped by retry::max_interval).
	since, until time.Time
	// The drain rates measured when a throttle began: the last non-zero ones.
	batches, mem, disk float64
}

// throttledLocked records a throttle the downstream answered at at, in force
// until until.
func (q *tieredQueue[T]) throttledLocked(at, until time.Time) {
	th := &q.throttle
	if !at.Before(th.until) || q.drained.last.After(th.since) {
		// A new throttle, or the first since room was last freed: measure
		// the rate before it, while the throttle lowers it.
		th.since = at
		if b, m, d := q.drained.rates(at); b > 0 || d > 0 {
			th.batches, th.mem, th.disk = b, m, d
		}
	}
	if until.After(th.until) {
		th.until = until
	}
}

// timeToFit is how long until a refused batch of n bytes fits the tier that
// refused it, at the measured drain rate, after the room already promised
// to the clients refused before it; none when nothing drains.
func (q *tieredQueue[T]) timeToFit(n int64, onDisk bool, none time.Duration) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.timeToFitLocked(time.Now(), n, onDisk, none)
}

// timeToFitLocked is timeToFit at now. The tier drains from start (now, or
// the end of a throttle behind which nothing has drained), at the rate
// measured over the last drainWindow seconds (during such a throttle, the
// rate measured before it). The refused batch fits once the tier's excess
// (what is held, plus it, minus the budget) has drained, and no sooner than
// its own share (its bytes, or one batch) after the last promise:
//
//	fit = max(start + excess/rate, promised + own/rate)
//
// fit becomes the tier's last promise, at most none (retry_after_max) ahead of
// now, so that the schedule cannot run away; it empties by itself as time
// passes. When nothing drains and no rate is known: the throttle's end, or
// none.
func (q *tieredQueue[T]) timeToFitLocked(now time.Time, n int64, onDisk bool, none time.Duration) time.Duration {
	start := now
	batchRate, memRate, diskRate := q.drained.rates(now)
	if th := &q.throttle; now.Before(th.until) && !q.drained.last.After(th.since) {
		start = th.until
		batchRate, memRate, diskRate = th.batches, th.mem, th.disk
	}
	var sp span
	promised := &q.promised.mem
	if onDisk && q.disk != nil {
		promised = &q.promised.disk
		sp = spanOf(q.disk.usedLocked()+n-q.disk.limit, n, diskRate)
	} else {
		sp = spanOf(q.mem.batches+1-int64(q.cfg.QueueSize), 1, batchRate)
		if q.limitBytes > 0 {
			sp = sp.and(spanOf(q.mem.bytes+n-q.limitBytes, n, memRate))
		}
	}
	if sp.noRate {
		if start.After(now) {
			return start.Sub(now)
		}
		return none
	}
	fit := start.Add(sp.excess)
	if after := promised.Add(sp.own); after.After(fit) {
		fit = after
	}
	*promised = fit
	if limit := now.Add(none); promised.After(limit) {
		*promised = limit
	}
	return fit.Sub(now)
}

// span is how long a budget takes to free a refused batch's excess and its
// own share at a drain rate; noRate when the excess is positive and nothing
// drains.
type span struct {
	excess, own time.Duration
	noRate      bool
}

func spanOf(excess, own int64, rate float64) span {
	if rate <= 0 {
		return span{noRate: excess > 0}
	}
	at := func(n int64) time.Duration { return time.Duration(float64(max(n, 0)) / rate * float64(time.Second)) }
	return span{excess: at(excess), own: at(own)}
}

// and is the span of two budgets that must both fit.
func (s span) and(o span) span {
	return span{excess: max(s.excess, o.excess), own: max(s.own, o.own), noRate: s.noRate || o.noRate}
}

// errThrottled marks a delivery the downstream throttled; the breaker
// ignores it: the backend is alive and asked us to wait.
var errThrottled = errors.New("resilientsink: downstream throttled")

// throttleDelay returns the delay a downstream error asks for: the throttle
// of exporterhelper.NewThrottleRetry (how the otlp exporter passes on RetryInfo
// and the otlphttp exporter Retry-After), or RetryInfo in a gRPC status in the
// error chain.
func throttleDelay(err error) (time.Duration, bool) {
	if d, ok := exporterThrottle(err); ok {
		return d, true
	}
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, detail := range st.Details() {
		if ri, ok := detail.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// exporterThrottle finds exporterhelper's throttle error in err's tree. Its
// type is unexported upstream, so it is found by its name and package, and its
// delay read by reflection; an e2e test against both exporters catches an
// upstream change.
func exporterThrottle(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	v := reflect.ValueOf(err)
	if t := v.Type(); t.Kind() == reflect.Struct && t.Name() == "throttleRetry" &&
		strings.HasPrefix(t.PkgPath(), "go.opentelemetry.io/collector/exporter/exporterhelper") {
		if f := v.FieldByName("delay"); f.IsValid() && f.Kind() == reflect.Int64 {
			return time.Duration(f.Int()), true
		}
	}
	switch u := err.(type) { //nolint:errorlint // walks the tree by hand: the type sought is unexported
	case interface{ Unwrap() error }:
		return exporterThrottle(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if d, ok := exporterThrottle(e); ok {
				return d, true
			}
		}
	}
	return 0, false
}

// throttledWait is the wait before the next attempt of a batch the
// downstream throttled: at least the hinted delay, capped by max_interval,
// and at least the backoff.
func (c *core[T]) throttledWait(backoff, hint time.Duration) time.Duration {
	return max(backoff, min(hint, c.cfg.Retry.MaxInterval))
}
