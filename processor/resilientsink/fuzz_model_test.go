// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"strings"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// fuzzCounts is one reading of the processor's telemetry. Gauges read 0
// after Shutdown (they are unregistered).
type fuzzCounts struct {
	incoming, replayed, sent, refused, spilled int64
	dropped                                    map[string]int64
	queueItems, diskItems, queueBytes          int64
	memLimit                                   int64
}

// in is what came in: incoming + replayed.
func (c fuzzCounts) in() int64 { return c.incoming + c.replayed }

// settled is what left for good: sent + dropped + refused.
func (c fuzzCounts) settled() int64 {
	n := c.sent + c.refused
	for _, d := range c.dropped {
		n += d
	}
	return n
}

const fuzzMetricPrefix = "otelcol_processor_resilientsink_"

// readFuzzCounts collects tel once.
func readFuzzCounts(r *fuzzRun, tel *componenttest.Telemetry) fuzzCounts {
	var rm metricdata.ResourceMetrics
	if err := tel.Reader.Collect(context.Background(), &rm); err != nil {
		r.fatalf("collect telemetry: %v", err)
	}
	c := fuzzCounts{dropped: map[string]int64{}}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			name, ok := strings.CutPrefix(m.Name, fuzzMetricPrefix)
			if !ok {
				continue
			}
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			}
			for _, p := range points {
				c.add(name, p)
			}
		}
	}
	return c
}

func (c *fuzzCounts) add(name string, p metricdata.DataPoint[int64]) {
	switch name {
	case "incoming_items":
		c.incoming += p.Value
	case "replayed_items":
		c.replayed += p.Value
	case "sent_items":
		c.sent += p.Value
	case "refused_items":
		c.refused += p.Value
	case "spilled_items":
		c.spilled += p.Value
	case "queue_items":
		c.queueItems += p.Value
	case "disk_items":
		c.diskItems += p.Value
	case "queue_bytes":
		c.queueBytes += p.Value
	case "memory_limit_bytes":
		c.memLimit += p.Value
	case "dropped_items":
		reason, _ := p.Attributes.Value("reason")
		c.dropped[reason.AsString()] += p.Value
	}
}

// batchBound is the most heap one batch may be estimated at, by which the
// memory gauge may pass the budget. Generous: the estimator may price a batch
// of small records at the per-item figure of the largest (about 3.55 heap
// bytes per proto byte), and a batch has at most 4 records.
func (r *fuzzRun) batchBound() int64 {
	return 4*int64(float64(r.maxRecord+1<<10)*3.6) + 64<<10
}

// checkStep checks the invariants that hold at every quiescent moment of a life.
func (r *fuzzRun) checkStep(l *fuzzLife) {
	c := l.last
	// 1. Accounting identity.
	if held := c.queueItems + c.diskItems; c.in() != c.settled()+held {
		r.fatalf("invariant 1 (accounting), life %d: incoming %d + replayed %d != sent %d + dropped %v + refused %d + queue_items %d + disk_items %d (off by %d)",
			l.n, c.incoming, c.replayed, c.sent, c.dropped, c.refused, c.queueItems, c.diskItems, c.in()-c.settled()-held)
	}
	r.checkOffers(l)
	if !l.cfg.Persistence.Enabled() && (c.replayed != 0 || c.diskItems != 0) {
		r.fatalf("invariant 1, life %d: memory only, but replayed %d and disk_items %d", l.n, c.replayed, c.diskItems)
	}
	if c.queueItems < 0 || c.diskItems < 0 || c.queueBytes < 0 {
		r.fatalf("invariant 1, life %d: negative gauge: queue_items %d disk_items %d queue_bytes %d", l.n, c.queueItems, c.diskItems, c.queueBytes)
	}
	// 5. Memory within the budget plus one batch.
	if limit := int64(l.cfg.MemoryLimitMiB) << 20; c.queueBytes > limit+r.batchBound() {
		r.fatalf("invariant 5 (memory), life %d: queue_bytes %d > memory limit %d + one batch (%d)", l.n, c.queueBytes, limit, r.batchBound())
	}
	// Liveness: a long sleep with a healthy downstream drains the queue, even
	// from a failing disk (DESIGN: a bad file never stalls delivery).
	if r.mustDrain {
		r.mustDrain = false
		if c.queueItems+c.diskItems > 0 {
			r.fatalf("liveness, life %d: %d items in memory and %d on disk after a long sleep with a healthy downstream", l.n, c.queueItems, c.diskItems)
		}
	}
}

// checkOffers checks that incoming_items counts every item offered in life
// l, and refused_items exactly the items of the offers that returned an error.
func (r *fuzzRun) checkOffers(l *fuzzLife) {
	var offered, refused int64
	for _, b := range r.batches {
		if b.life == l.n {
			offered += int64(b.items)
			if !b.acked {
				refused += int64(b.items)
			}
		}
	}
	if c := l.last; c.incoming != offered || c.refused != refused {
		r.fatalf("invariant 1, life %d: incoming_items %d, refused_items %d; the callers offered %d items and were refused %d",
			l.n, c.incoming, c.refused, offered, refused)
	}
}
