package ringqueue

import (
	"context"
	"fmt"
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
// Pop(ctx) (or a channel receive). One op is one item; each producer retries
// on ErrFull, like the channel send blocks.
func BenchmarkProducerConsumer(b *testing.B) {
	for _, pairs := range []int{1, 4} {
		for _, capacity := range []int{16, 1024} {
			name := fmt.Sprintf("pairs=%d/cap=%d", pairs, capacity)
			b.Run("impl=ring/"+name, func(b *testing.B) { benchRing(b, pairs, capacity) })
			b.Run("impl=chan/"+name, func(b *testing.B) { benchChan(b, pairs, capacity) })
		}
	}
}

func benchRing(b *testing.B, pairs, capacity int) {
	q := New[int](capacity)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range pairs {
		wg.Go(func() {
			for {
				if _, err := q.Pop(ctx); err != nil {
					return
				}
			}
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		for q.TryPush(1) != nil {
			// Spin like a blocked channel send would park.
		}
	}
	q.Close()
	wg.Wait()
}

func benchChan(b *testing.B, pairs, capacity int) {
	ch := make(chan int, capacity)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range pairs {
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
	b.ReportAllocs()
	for b.Loop() {
		ch <- 1
	}
	close(ch)
	wg.Wait()
}
