// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package persistbench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImplsDeliverEverything keeps the module from rotting (make vet runs
// it): every variant accepts requests from concurrent producers and its
// downstream receives every record.
func TestImplsDeliverEverything(t *testing.T) {
	const producers, perProducer = 4, 5
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			var delivered atomic.Int64
			c, stop := im.start(t, t.TempDir(), &delivered)
			var wg sync.WaitGroup
			for range producers {
				wg.Go(func() {
					for range perProducer {
						assert.NoError(t, c.ConsumeLogs(context.Background(), payload()))
					}
				})
			}
			wg.Wait()
			want := int64(producers * perProducer * recordsPerRequest)
			require.Eventually(t, func() bool { return delivered.Load() == want }, 10*time.Second, time.Millisecond,
				"delivered %d of %d", delivered.Load(), want)
			stop()
		})
	}
}

// BenchmarkPersist: records/s through ConsumeLogs with 1, 4 and 16 concurrent
// producers (goroutines each calling ConsumeLogs in a loop, handed one request
// per b.Loop iteration), each request recordsPerRequest records, for the
// anchor (exporterhelper's persistent queue on file_storage) and
// resilientsink write_ahead, with and without fsync. records/s is measured
// from the first hand-out until every producer's last call returned. Then
// the downstream must receive every record (a variant that is fast by losing
// batches does not count), and cpu-ns/record is the process's user+system
// time from the first hand-out until then: producers, the queue's consumers
// and the kernel's share of the writes and fsyncs, per record.
func BenchmarkPersist(b *testing.B) {
	for _, producers := range []int{1, 4, 16} {
		for _, im := range impls() {
			b.Run("producers="+strconv.Itoa(producers)+"/impl="+im.name, func(b *testing.B) {
				var delivered atomic.Int64
				c, stop := im.start(b, b.TempDir(), &delivered)
				defer stop()
				ctx := context.Background()
				work := make(chan struct{})
				var wg sync.WaitGroup
				var failed atomic.Int64
				for range producers {
					ld := payload() // one per producer: ConsumeLogs may not mutate, but keep them apart
					wg.Go(func() {
						for range work {
							if err := c.ConsumeLogs(ctx, ld); err != nil {
								failed.Add(1)
							}
						}
					})
				}
				var n int64
				b.ReportAllocs()
				start, cpu0 := time.Now(), processCPU()
				for b.Loop() {
					work <- struct{}{}
					n++
				}
				close(work)
				wg.Wait()
				elapsed := time.Since(start)
				if f := failed.Load(); f > 0 {
					b.Fatalf("%d of %d ConsumeLogs calls failed", f, n)
				}
				b.ReportMetric(float64(n*recordsPerRequest)/elapsed.Seconds(), "records/s")
				want := n * recordsPerRequest
				if !assert.Eventually(b, func() bool { return delivered.Load() == want }, 20*time.Second, time.Millisecond) {
					b.Fatalf("downstream received %d of %d records (dropped?)", delivered.Load(), want)
				}
				cpu := processCPU() - cpu0
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(want), "cpu-ns/record")
			})
		}
	}
}
