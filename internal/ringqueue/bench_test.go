package ringqueue

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkPushPop measures one push and one pop on a single goroutine,
// against a buffered channel as the baseline.
func BenchmarkPushPop(b *testing.B) {
	const capacity = 1024
	b.Run(fmt.Sprintf("impl=ring/cap=%d", capacity), func(b *testing.B) {
		q := New[int](capacity)
		b.ReportAllocs()
		for b.Loop() {
			_ = q.TryPush(1)
			_, _ = q.TryPop()
		}
	})
	b.Run(fmt.Sprintf("impl=chan/cap=%d", capacity), func(b *testing.B) {
		ch := make(chan int, capacity)
		b.ReportAllocs()
		for b.Loop() {
			ch <- 1
			<-ch
		}
	})
}

// BenchmarkProducerConsumer moves items from producers to consumers blocked in
// Pop(ctx) (or a channel receive). One op is one item. producers=1 pushes from
// the benchmark loop; producers=par pushes from b.RunParallel (GOMAXPROCS
// goroutines). ring and chan both push without blocking (TryPush; select with
// default) and yield when full, as the processor never blocks on a full queue.
// ringblocking (Push(ctx)) and chanblocking (a plain send) block on a full
// queue instead, and compare with each other.
func BenchmarkProducerConsumer(b *testing.B) {
	for _, par := range []bool{false, true} {
		for _, consumers := range []int{1, 4} {
			for _, capacity := range []int{16, 1024} {
				producers := "1"
				if par {
					producers = "par"
				}
				name := fmt.Sprintf("producers=%s/consumers=%d/cap=%d", producers, consumers, capacity)
				b.Run("impl=ring/"+name, func(b *testing.B) { benchRing(b, par, consumers, capacity, false) })
				b.Run("impl=ringblocking/"+name, func(b *testing.B) { benchRing(b, par, consumers, capacity, true) })
				b.Run("impl=chan/"+name, func(b *testing.B) { benchChan(b, par, consumers, capacity, false) })
				b.Run("impl=chanblocking/"+name, func(b *testing.B) { benchChan(b, par, consumers, capacity, true) })
			}
		}
	}
}

// produce runs push b.N times, from the benchmark loop or from RunParallel.
func produce(b *testing.B, par bool, push func()) {
	b.ReportAllocs()
	if !par {
		for b.Loop() {
			push()
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			push()
		}
	})
}

func benchRing(b *testing.B, par bool, consumers, capacity int, blocking bool) {
	q := New[int](capacity)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range consumers {
		wg.Go(func() {
			for {
				if _, err := q.Pop(ctx); err != nil {
					return
				}
			}
		})
	}
	if blocking {
		produce(b, par, func() {
			if err := q.Push(ctx, 1); err != nil {
				b.Error(err)
			}
		})
	} else {
		produce(b, par, func() {
			for q.TryPush(1) != nil {
				runtime.Gosched()
			}
		})
	}
	q.Close()
	wg.Wait()
}

func benchChan(b *testing.B, par bool, consumers, capacity int, blocking bool) {
	ch := make(chan int, capacity)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range consumers {
		wg.Go(func() {
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		})
	}
	if blocking {
		produce(b, par, func() { ch <- 1 })
	} else {
		produce(b, par, func() {
			for {
				select {
				case ch <- 1:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	close(ch)
	wg.Wait()
}
