// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
)

// countingLogs is a downstream that counts records, optionally taking delay per batch.
type countingLogs struct {
	items    atomic.Int64
	delay    time.Duration
	progress chan struct{} // one slot: "items grew"
}

func newCountingLogs(delay time.Duration) *countingLogs {
	return &countingLogs{delay: delay, progress: make(chan struct{}, 1)}
}

// add counts n delivered items and signals progress.
func (c *countingLogs) add(n int) {
	c.items.Add(int64(n))
	select {
	case c.progress <- struct{}{}:
	default:
	}
}

func (*countingLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *countingLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.delay > 0 {
		t := time.NewTimer(c.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	c.add(ld.LogRecordCount())
	return nil
}

func newBenchProcessor(b *testing.B, cfg *Config, next consumer.Logs) *logsProcessor {
	p, err := newLogsProcessor(processortest.NewNopSettings(NewFactory().Type()), cfg, next)
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

// BenchmarkConsumeLogs measures the cost ConsumeLogs adds to the caller with
// the default configuration and a no-op downstream, with no-op telemetry and
// with the OpenTelemetry SDK's (as in a collector, which always runs one).
func BenchmarkConsumeLogs(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run("records="+strconv.Itoa(n)+"/downstream=nop", func(b *testing.B) {
			p := newBenchProcessor(b, createDefaultConfig().(*Config), newCountingLogs(0))
			ld := genLogs(n, 3)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("records="+strconv.Itoa(n)+"/downstream=nop/telemetry=sdk", func(b *testing.B) {
			tel := componenttest.NewTelemetry()
			b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			set := processortest.NewNopSettings(NewFactory().Type())
			set.TelemetrySettings = tel.NewTelemetrySettings()
			p, err := newLogsProcessor(set, createDefaultConfig().(*Config), newCountingLogs(0))
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
			b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
			ld := genLogs(n, 3)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConsumeLogsLatency reports ConsumeLogs latency percentiles with a
// no-op downstream and with one taking 10 ms per batch; the queue is kept from
// filling up (drained outside the timer), so both measure admission only.
func BenchmarkConsumeLogsLatency(b *testing.B) {
	for _, delay := range []time.Duration{0, 10 * time.Millisecond} {
		name := "downstream=nop"
		if delay > 0 {
			name = "downstream=" + delay.String()
		}
		b.Run(name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			p := newBenchProcessor(b, cfg, newCountingLogs(delay))
			ld := genLogs(1, 3)
			ctx := context.Background()
			lat := make([]time.Duration, 0, 1<<20)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(start))
				}
				if i++; i%1024 == 0 && p.q.stats().mem.batches > int64(cfg.QueueSize/2) {
					b.StopTimer()
					p.q.discardQueued(dropOutcome(reasonOverflow))
					b.StartTimer()
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkThroughput pushes batches of 100 records into a no-op downstream
// and reports items/s until all were delivered, for this processor and, as
// the baseline, the upstream exporterhelper memory sending_queue (items sizer,
// one consumer, no batching) wrapping a no-op exporter. Both block on overflow.
func BenchmarkThroughput(b *testing.B) {
	const batch = 100
	b.Run("queue=resilientsink", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.QueueSize = 1000
		cfg.Overflow = OverflowPolicyBlock
		down := newCountingLogs(0)
		p := newBenchProcessor(b, cfg, down)
		runThroughput(b, batch, p.ConsumeLogs, down)
	})
	b.Run("queue=exporterhelper", func(b *testing.B) {
		down := newCountingLogs(0)
		qcfg := exporterhelper.NewDefaultQueueConfig()
		require.NoError(b, qcfg.Sizer.UnmarshalText([]byte("items")))
		qcfg.QueueSize = 1000 * batch
		qcfg.NumConsumers = 1
		qcfg.BlockOnOverflow = true
		qcfg.Batch = configoptional.Optional[exporterhelper.BatchConfig]{}
		exp, err := exporterhelper.NewLogs(context.Background(), exportertest.NewNopSettings(exportertest.NopType), &struct{}{},
			func(_ context.Context, ld plog.Logs) error {
				down.add(ld.LogRecordCount())
				return nil
			},
			exporterhelper.WithQueue(configoptional.Some(qcfg)))
		require.NoError(b, err)
		require.NoError(b, exp.Start(context.Background(), componenttest.NewNopHost()))
		b.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
		runThroughput(b, batch, exp.ConsumeLogs, down)
	})
}

func runThroughput(b *testing.B, batch int, consume func(context.Context, plog.Logs) error, down *countingLogs) {
	ld := genLogs(batch, 3)
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	var sent int64
	for b.Loop() {
		if err := consume(ctx, ld); err != nil {
			b.Fatal(err)
		}
		sent += int64(batch)
	}
	for down.items.Load() < sent {
		<-down.progress
	}
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "items/s")
}
