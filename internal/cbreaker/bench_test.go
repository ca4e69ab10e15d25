package cbreaker

import (
	"testing"

	"github.com/sony/gobreaker/v2"
)

// BenchmarkAllowDone measures one Allow plus one successful Done in the
// closed state, against gobreaker's TwoStepCircuitBreaker as the baseline.
func BenchmarkAllowDone(b *testing.B) {
	impls := []struct {
		name string
		new  func() func()
	}{
		{"cbreaker", func() func() {
			cb := New(Settings{FailureThreshold: 5})
			return func() {
				tok, err := cb.Allow()
				if err != nil {
					panic(err)
				}
				tok.Done(nil)
			}
		}},
		{"gobreaker", func() func() {
			cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{})
			return func() {
				done, err := cb.Allow()
				if err != nil {
					panic(err)
				}
				done(nil)
			}
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name+"/goroutines=1", func(b *testing.B) {
			op := impl.new()
			b.ReportAllocs()
			for b.Loop() {
				op()
			}
		})
		b.Run("impl="+impl.name+"/goroutines=parallel", func(b *testing.B) {
			op := impl.new()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					op()
				}
			})
		})
	}
}
