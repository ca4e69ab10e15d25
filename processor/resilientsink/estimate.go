// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"math"
	"sync"
	"sync/atomic"
)

// heapModel turns the OTLP proto size of a batch into an estimate of the live
// heap its decoded pdata holds: heap = protoFactor*proto + perItem*items + perBatch.
// The constants are calibrated by BenchmarkMemoryAccuracy (see README.md).
type heapModel struct {
	// protoFactor is heap bytes per proto byte.
	protoFactor float64
	// perItem is heap per item that the proto size does not show (structs,
	// slice headers, oneof wrappers).
	perItem float64
	// perBatch is the fixed heap of one batch (top-level wrappers, state).
	perBatch int64
}

func (m heapModel) heap(protoSize, items int) float64 {
	return m.protoFactor*float64(protoSize) + m.perItem*float64(items)
}

const (
	// estimatorWarmup batches are all sized exactly before sampling starts.
	estimatorWarmup = 16
	// estimatorSampleEvery is the sampling period after the warm-up.
	estimatorSampleEvery = 64
	// estimatorWindow is the number of recent samples the estimate is drawn from.
	estimatorWindow = 15
	// estimatorMaxStep bounds how far one sample can move the estimate: by at
	// most this factor up or down.
	estimatorMaxStep = 2
)

// estimator estimates the heap of a batch cheaply: it computes the proto size
// of sampled batches only (the first estimatorWarmup, then one in
// estimatorSampleEvery) and prices the other batches at a bytes-per-item
// figure drawn from the recent samples: their median weighted by items, so a
// sample counts as much as the records it measured, and one huge record
// among ordinary batches does not move it. One sample moves it by at most a
// factor estimatorMaxStep. Decisions that lose or refuse data size the batch
// exactly first (exact). It is safe for concurrent use.
type estimator[T any] struct {
	protoSize func(T) int
	model     heapModel
	calls     atomic.Uint64
	// perItemBits holds the current heap bytes per item, as float64 bits.
	perItemBits atomic.Uint64

	mu      sync.Mutex // guards the samples
	samples [estimatorWindow]perItemSample
	filled  int // samples in use
	next    int // where the next sample goes
}

// perItemSample is the heap per item measured on one batch, and its items.
type perItemSample struct {
	perItem float64
	items   float64
}

func newEstimator[T any](protoSize func(T) int, model heapModel) *estimator[T] {
	return &estimator[T]{protoSize: protoSize, model: model}
}

// estimate returns the estimated heap bytes of data, which holds items items
// (> 0), and whether that is the exact figure (a sampled batch).
func (e *estimator[T]) estimate(data T, items int) (int64, bool) {
	n := e.calls.Add(1)
	per := math.Float64frombits(e.perItemBits.Load())
	if n <= estimatorWarmup || n%estimatorSampleEvery == 0 || per == 0 {
		h := e.model.heap(e.protoSize(data), items)
		e.record(h/float64(items), float64(items))
		return int64(h) + e.model.perBatch, true
	}
	return int64(per*float64(items)) + e.model.perBatch, false
}

// exact returns the heap bytes of data from its exact proto size, for the
// decisions that drop or refuse it.
func (e *estimator[T]) exact(data T, items int) int64 {
	return int64(e.model.heap(e.protoSize(data), items)) + e.model.perBatch
}

// record adds a sample and recomputes the per-item figure.
func (e *estimator[T]) record(perItem, items float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.samples[e.next] = perItemSample{perItem: perItem, items: items}
	e.next = (e.next + 1) % estimatorWindow
	e.filled = min(e.filled+1, estimatorWindow)
	median := weightedMedian(e.samples[:e.filled])
	if prev := math.Float64frombits(e.perItemBits.Load()); prev > 0 {
		median = min(max(median, prev/estimatorMaxStep), prev*estimatorMaxStep)
	}
	e.perItemBits.Store(math.Float64bits(median))
}

// weightedMedian returns the per-item value below and above which lie at
// most half of the samples' items. It does not allocate.
func weightedMedian(samples []perItemSample) float64 {
	var sorted [estimatorWindow]perItemSample
	s := sorted[:len(samples)]
	copy(s, samples)
	var total float64
	for i := range s { // insertion sort: at most estimatorWindow samples
		total += s[i].items
		for j := i; j > 0 && s[j].perItem < s[j-1].perItem; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	var acc float64
	for _, v := range s {
		acc += v.items
		if acc >= total/2 {
			return v.perItem
		}
	}
	return s[len(s)-1].perItem
}

// Heap models per signal, fitted to BenchmarkMemoryAccuracy on data decoded
// off the wire with pdata v1.71.0 (proto pooling off), Go 1.26, amd64: live heap
// is about 3.55 bytes per proto byte, plus a per-item term for the structs the
// proto encoding does not show, plus a per-batch term for the resource, scope
// and wrapper structs. Measured heap/proto: 4.1-4.3 for telemetrygen-shaped logs
// (3 short attributes), 3.6-3.7 for 20 attributes; see README.md.
var (
	logsHeapModel    = heapModel{protoFactor: 3.55, perItem: 60, perBatch: 256}
	tracesHeapModel  = heapModel{protoFactor: 3.55, perItem: 8, perBatch: 256}
	metricsHeapModel = heapModel{protoFactor: 3.55, perItem: 68, perBatch: 256}
)
