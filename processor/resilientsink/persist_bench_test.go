// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/processor/processortest"
)

// persistenceVariants are the configurations the spill benchmarks set side
// by side: memory only, and spill with its defaults.
func persistenceVariants(b *testing.B) map[string]func() *Config {
	return map[string]func() *Config{
		"off": func() *Config { return createDefaultConfig().(*Config) },
		"spill": func() *Config {
			cfg := createDefaultConfig().(*Config)
			cfg.Persistence.Directory = b.TempDir()
			return cfg
		},
	}
}

// BenchmarkSpillHotPath sets persistence off and spill side by side
// (benchstat -col /persistence), downstream healthy:
//
//   - bench=ConsumeLogs is BenchmarkConsumeLogs with the queue kept from
//     filling (emptied outside the timer, as in BenchmarkConsumeLogsLatency):
//     the downstream keeps up, the regime where spill promises memory speed.
//     (Plain BenchmarkConsumeLogs outruns its one worker: memory only drops
//     most batches there, and spill writes them to disk instead.)
//   - bench=Throughput is BenchmarkThroughput: producers faster than the
//     downstream, overflow block. Memory only makes them wait; spill writes
//     to disk once memory is full, and new batches then queue behind those on
//     disk until it is read back, so this measures the disk path.
func BenchmarkSpillHotPath(b *testing.B) {
	for _, name := range []string{"off", "spill"} {
		for _, n := range []int{1, 100} {
			b.Run("bench=ConsumeLogs/records="+strconv.Itoa(n)+"/persistence="+name, func(b *testing.B) {
				cfg := persistenceVariants(b)[name]()
				p := newBenchProcessor(b, cfg, newCountingLogs(0))
				ld := genLogs(n, 3)
				ctx := context.Background()
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					if err := p.ConsumeLogs(ctx, ld); err != nil {
						b.Fatal(err)
					}
					if i++; i%256 == 0 {
						if m := p.q.stats().mem; m.batches > int64(cfg.QueueSize/2) || m.bytes > p.q.limitBytes/2 {
							b.StopTimer()
							p.q.discardQueued(outcome{kind: outcomeSent})
							b.StartTimer()
						}
					}
				}
				b.ReportMetric(float64(p.tel.droppedTotal[reasonOverflow].Load()), "dropped-items")
				b.ReportMetric(float64(p.tel.pending.spilled.Load()), "spilled-items")
			})
		}
		b.Run("bench=Throughput/persistence="+name, func(b *testing.B) {
			cfg := persistenceVariants(b)[name]()
			cfg.QueueSize = 1000
			cfg.Overflow = OverflowPolicyBlock
			down := newCountingLogs(0)
			p := newBenchProcessor(b, cfg, down)
			runThroughput(b, 100, p.ConsumeLogs, down)
			b.ReportMetric(float64(p.tel.pending.spilled.Load()), "spilled-items")
		})
	}
}

// BenchmarkShutdownSpill fills a 64 MiB memory budget behind a hung
// downstream and measures the Shutdown (strategy immediate) that writes it to
// disk with an fsync, in MB/s of segment files written.
func BenchmarkShutdownSpill(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		cfg := createDefaultConfig().(*Config)
		cfg.QueueSize = 100000
		cfg.MemoryLimitMiB = 64
		cfg.Shutdown.Strategy = ShutdownStrategyImmediate
		cfg.Shutdown.Timeout = time.Minute
		cfg.Persistence.Directory = b.TempDir()
		cfg.Persistence.Mode = PersistenceModeSpill
		down := newScripted()
		down.set(modeHang)
		p, err := newLogsProcessor(processortest.NewNopSettings(NewFactory().Type()), cfg, down)
		require.NoError(b, err)
		require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
		// Fill memory; stop at the first batch that goes to disk.
		ld := genLogs(100, 3)
		for p.q.stats().mem.bytes < int64(cfg.MemoryLimitMiB)<<20*9/10 && p.q.stats().diskItems == 0 {
			require.NoError(b, p.ConsumeLogs(context.Background(), ld))
		}
		b.StartTimer()
		start := time.Now()
		require.NoError(b, p.Shutdown(context.Background()))
		d := time.Since(start)
		b.StopTimer()
		written := dirBytes(b, cfg.Persistence.Directory)
		b.ReportMetric(float64(written)/(1<<20), "MiB")
		b.ReportMetric(float64(written)/(1<<20)/d.Seconds(), "MiB/s")
		b.ReportMetric(float64(p.q.stats().mem.bytes), "left-bytes")
		b.StartTimer()
	}
}

// BenchmarkReplay measures records/s from disk to a no-op downstream: a queue
// of 2000 batches of 100 records written by one processor, read back by the
// next.
func BenchmarkReplay(b *testing.B) {
	const batches, records = 2000, 100
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		cfg := createDefaultConfig().(*Config)
		cfg.QueueSize = 10
		cfg.Overflow = OverflowPolicyDropNewest
		cfg.Shutdown.Strategy = ShutdownStrategyImmediate
		cfg.Persistence.Directory = dir
		down := newScripted()
		down.set(modeHang)
		p, err := newLogsProcessor(processortest.NewNopSettings(NewFactory().Type()), cfg, down)
		require.NoError(b, err)
		require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
		ld := genLogs(records, 3)
		for range batches {
			require.NoError(b, p.ConsumeLogs(context.Background(), ld))
		}
		require.NoError(b, p.Shutdown(context.Background()))

		next := newCountingLogs(0)
		b.StartTimer()
		start := time.Now()
		p2 := newBenchProcessor(b, cfg, next)
		for next.items.Load() < batches*records {
			<-next.progress
		}
		b.ReportMetric(batches*records/time.Since(start).Seconds(), "records/s")
		b.StopTimer()
		require.NoError(b, p2.Shutdown(context.Background()))
		b.StartTimer()
	}
}

// BenchmarkWriteAhead measures write_ahead with sync, records/s with 1, 4
// and 16 concurrent producers of batches of 10 records (group commit).
func BenchmarkWriteAhead(b *testing.B) {
	for _, producers := range []int{1, 4, 16} {
		b.Run("producers="+strconv.Itoa(producers), func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Persistence.Directory = b.TempDir()
			cfg.Persistence.Mode = PersistenceModeWriteAhead
			p := newBenchProcessor(b, cfg, newCountingLogs(0))
			ld := genLogs(10, 3)
			var wg sync.WaitGroup
			work := make(chan struct{}, producers)
			b.ReportAllocs()
			start := time.Now()
			for range producers {
				wg.Go(func() {
					for range work {
						if err := p.ConsumeLogs(context.Background(), ld); err != nil {
							b.Error(err)
						}
					}
				})
			}
			n := 0
			for b.Loop() {
				work <- struct{}{}
				n++
			}
			close(work)
			wg.Wait()
			b.ReportMetric(float64(n*10)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// dirBytes is the size of the files below dir.
func dirBytes(tb testing.TB, dir string) int64 {
	var n int64
	require.NoError(tb, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	}))
	return n
}
