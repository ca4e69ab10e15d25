package membudget

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/semaphore"
)

// budget is the subset of *Budget shared with semaphore.Weighted, the baseline.
type budget interface {
	TryAcquire(n int64) bool
	Acquire(ctx context.Context, n int64) error
	Release(n int64)
}

func impls(limit int64) []struct {
	name string
	b    budget
} {
	return []struct {
		name string
		b    budget
	}{
		{"impl=membudget", New(limit)},
		{"impl=semaphore", semaphore.NewWeighted(limit)},
	}
}

// BenchmarkTryAcquireRelease measures an uncontended TryAcquire+Release pair,
// on one goroutine and under RunParallel.
func BenchmarkTryAcquireRelease(b *testing.B) {
	const limit, n = 1 << 30, 4096
	for _, impl := range impls(limit) {
		b.Run(fmt.Sprintf("%s/par=1/n=%d", impl.name, n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if impl.b.TryAcquire(n) {
					impl.b.Release(n)
				}
			}
		})
	}
	for _, impl := range impls(limit) {
		b.Run(fmt.Sprintf("%s/par=gomaxprocs/n=%d", impl.name, n), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if impl.b.TryAcquire(n) {
						impl.b.Release(n)
					}
				}
			})
		})
	}
}

// BenchmarkAcquireRelease measures Acquire+Release with a cancellable context.
// With par=1 it never waits; under RunParallel the limit admits 4 holders, so
// callers rarely queue.
func BenchmarkAcquireRelease(b *testing.B) {
	const limit, n = 4 * 4096, 4096
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, impl := range impls(limit) {
		b.Run(fmt.Sprintf("%s/par=1/n=%d", impl.name, n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if impl.b.Acquire(ctx, n) == nil {
					impl.b.Release(n)
				}
			}
		})
	}
	for _, impl := range impls(limit) {
		b.Run(fmt.Sprintf("%s/par=gomaxprocs/n=%d", impl.name, n), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if impl.b.Acquire(ctx, n) == nil {
						impl.b.Release(n)
					}
				}
			})
		})
	}
}
