// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"math"
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
	// estimatorSmoothing is the weight 1/estimatorSmoothing of a new sample
	// in the running bytes-per-item average.
	estimatorSmoothing = 8
)

// estimator estimates the heap of a batch cheaply: it computes the proto size
// of sampled batches only (the first estimatorWarmup, then one in
// estimatorSampleEvery) and keeps a running average of heap bytes per item,
// which prices the other batches. It is safe for concurrent use; concurrent
// updates of the average may lose a sample, which only slows convergence.
type estimator[T any] struct {
	protoSize func(T) int
	model     heapModel
	calls     atomic.Uint64
	// perItemBits holds the running average heap bytes per item, as float64 bits.
	perItemBits atomic.Uint64
}

func newEstimator[T any](protoSize func(T) int, model heapModel) *estimator[T] {
	return &estimator[T]{protoSize: protoSize, model: model}
}

// estimate returns the estimated heap bytes of data, which holds items items (> 0).
func (e *estimator[T]) estimate(data T, items int) int64 {
	n := e.calls.Add(1)
	per := math.Float64frombits(e.perItemBits.Load())
	if n <= estimatorWarmup || n%estimatorSampleEvery == 0 || per == 0 {
		h := e.model.heap(e.protoSize(data), items)
		sample := h / float64(items)
		if per == 0 {
			per = sample
		} else {
			per += (sample - per) / estimatorSmoothing
		}
		e.perItemBits.Store(math.Float64bits(per))
		return int64(h) + e.model.perBatch
	}
	return int64(per*float64(items)) + e.model.perBatch
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
