// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadatatest"
)

// mode is the behaviour of the scripted downstream.
type mode int32

const (
	modeSucceed   mode = iota // accept
	modeFail                  // retryable error
	modePermanent             // permanent error
	modeHang                  // block until the delivery context ends
	modePanic                 // panic
	modeHold                  // block until release() or the context ends, then accept
)

var errDownstream = errors.New("downstream unavailable")

// scripted is a downstream whose behaviour tests switch at runtime. It
// consumes logs, traces and metrics.
type scripted struct {
	mode     atomic.Int32
	calls    atomic.Int64
	items    atomic.Int64 // items accepted
	inFlight atomic.Int64
	release  chan struct{}
	// hook, if set, runs at the start of every delivery, whatever the mode.
	hook func()

	mu   sync.Mutex
	seqs []int64 // "seq" of the first record of each accepted log batch
}

func newScripted() *scripted { return &scripted{release: make(chan struct{}, 1024)} }

func (s *scripted) set(m mode) { s.mode.Store(int32(m)) }

func (s *scripted) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *scripted) do(ctx context.Context, items int, seq int64) error {
	s.calls.Add(1)
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	if s.hook != nil {
		s.hook()
	}
	switch mode(s.mode.Load()) {
	case modeFail:
		return errDownstream
	case modePermanent:
		return consumererror.NewPermanent(errDownstream)
	case modeHang:
		<-ctx.Done()
		return ctx.Err()
	case modePanic:
		panic("scripted downstream panic")
	case modeHold:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.release:
		}
	}
	s.items.Add(int64(items))
	s.mu.Lock()
	s.seqs = append(s.seqs, seq)
	s.mu.Unlock()
	return nil
}

func (s *scripted) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	seq := int64(-1)
	if ld.LogRecordCount() > 0 {
		if v, ok := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("seq"); ok {
			seq = v.Int()
		}
	}
	return s.do(ctx, ld.LogRecordCount(), seq)
}

func (s *scripted) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return s.do(ctx, td.SpanCount(), -1)
}

func (s *scripted) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return s.do(ctx, md.DataPointCount(), -1)
}

func (s *scripted) accepted() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.seqs...)
}

// statusHost records component status reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []componentstatus.Status
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev.Status())
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]componentstatus.Status(nil), h.events...)
}

// harness is a logs processor wired to a scripted downstream, a telemetry
// reader, a status-recording host and an observed logger.
type harness struct {
	t    *testing.T
	tel  *componenttest.Telemetry
	down *scripted
	p    *logsProcessor
	host *statusHost
	logs *observer.ObservedLogs
	seq  int64
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.QueueSize = 100
	cfg.MemoryLimitMiB = 0
	cfg.Retry.RandomizationFactor = 0 // exact waits; TestRetryWaitsAreJittered sets it
	return cfg
}

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := metadatatest.NewSettings(tel)
	zc, logs := observer.New(zap.DebugLevel)
	set.Logger = zap.New(zc)
	down := newScripted()
	p, err := newLogsProcessor(set, cfg, down)
	require.NoError(t, err)
	h := &harness{t: t, tel: tel, down: down, p: p, host: &statusHost{Host: componenttest.NewNopHost()}, logs: logs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = p.Shutdown(ctx)
		_ = tel.Shutdown(context.Background())
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	require.NoError(h.t, h.p.Start(context.Background(), h.host))
}

// logs returns a batch of n records; the first record carries the next "seq".
func (h *harness) batch(n int) plog.Logs {
	ld := genLogs(n, 3)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutInt("seq", h.seq)
	h.seq++
	return ld
}

func (h *harness) send(n int) error {
	return h.p.ConsumeLogs(context.Background(), h.batch(n))
}

const metricPrefix = "otelcol_processor_resilientsink_"

// metric returns the sum of the int64 points of a metric whose attributes
// include kv, or 0 when it has not been recorded.
func (h *harness) metric(name string, kv ...attribute.KeyValue) int64 {
	return h.collect().sum(h.t, name, kv...)
}

// snapshot is one collection of the processor's metrics.
type snapshot map[string]metricdata.Metrics

func (h *harness) collect() snapshot {
	var rm metricdata.ResourceMetrics
	require.NoError(h.t, h.tel.Reader.Collect(context.Background(), &rm))
	s := snapshot{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			s[m.Name] = m
		}
	}
	return s
}

func (s snapshot) sum(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	m, ok := s[metricPrefix+name]
	if !ok {
		return 0
	}
	var dps []metricdata.DataPoint[int64]
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		dps = d.DataPoints
	case metricdata.Gauge[int64]:
		dps = d.DataPoints
	default:
		t.Fatalf("metric %s has unexpected type %T", name, m.Data)
	}
	var sum int64
	for _, dp := range dps {
		ok := true
		for _, want := range kv {
			if got, has := dp.Attributes.Value(want.Key); !has || got != want.Value {
				ok = false
			}
		}
		if ok {
			sum += dp.Value
		}
	}
	return sum
}

func (h *harness) dropped(reason string) int64 {
	return h.metric("dropped_items", attribute.String("reason", reason))
}

// accounts is the accounting read from telemetry; queued counts memory and disk.
type accounts struct{ incoming, replayed, sent, dropped, refused, queued int64 }

func (h *harness) accounts() accounts {
	s := h.collect()
	return accounts{
		incoming: s.sum(h.t, "incoming_items"),
		replayed: s.sum(h.t, "replayed_items"),
		sent:     s.sum(h.t, "sent_items"),
		dropped:  s.sum(h.t, "dropped_items"),
		refused:  s.sum(h.t, "refused_items"),
		queued:   s.sum(h.t, "queue_items") + s.sum(h.t, "disk_items"),
	}
}

// requireBalanced checks incoming + replayed = sent + dropped + refused +
// queued and that the downstream received exactly sent items.
func (h *harness) requireBalanced() accounts {
	h.t.Helper()
	a := h.accounts()
	require.Equal(h.t, a.incoming+a.replayed, a.sent+a.dropped+a.refused+a.queued, "accounting: %+v", a)
	require.Equal(h.t, a.sent, h.down.items.Load(), "downstream received exactly sent items")
	return a
}

// discardQueued ends every batch in the ring with o: benchmarks empty the
// queue this way outside the timer.
func (q *tieredQueue[T]) discardQueued(o outcome) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		b, ok := q.ring.TryPop()
		if !ok {
			return
		}
		q.endLocked(b, o)
	}
}
