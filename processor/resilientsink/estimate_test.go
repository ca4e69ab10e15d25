// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestEstimatorSamples(t *testing.T) {
	sized := 0
	sizer := &plog.ProtoMarshaler{}
	e := newEstimator(func(ld plog.Logs) int { sized++; return sizer.LogsSize(ld) }, logsHeapModel)
	ld := genLogs(100, 3)
	exact := int64(logsHeapModel.heap(sizer.LogsSize(ld), 100)) + logsHeapModel.perBatch
	for range 1000 {
		assert.InEpsilon(t, exact, est(e, ld, 100), 0.01)
	}
	assert.Equal(t, estimatorWarmup+1000/estimatorSampleEvery, sized, "warm-up, then one in estimatorSampleEvery")
}

func TestEstimatorScalesWithItems(t *testing.T) {
	e := newEstimator((&plog.ProtoMarshaler{}).LogsSize, logsHeapModel)
	ld := genLogs(100, 20)
	for range estimatorWarmup {
		est(e, ld, 100)
	}
	small := genLogs(10, 20)
	// A priced (not sampled) batch of 10 costs about a tenth of one of 100.
	got := est(e, small, 10)
	want := (est(e, ld, 100)-logsHeapModel.perBatch)/10 + logsHeapModel.perBatch
	assert.InEpsilon(t, want, got, 0.05)
}

func TestEstimatorAdaptsToShapeChange(t *testing.T) {
	sizer := &plog.ProtoMarshaler{}
	e := newEstimator(sizer.LogsSize, logsHeapModel)
	for range 100 {
		est(e, genLogs(10, 3), 10)
	}
	rich := genLogs(10, 20)
	exact := int64(logsHeapModel.heap(sizer.LogsSize(rich), 10)) + logsHeapModel.perBatch
	var last int64
	for range 64 * 40 {
		last = est(e, rich, 10)
	}
	assert.InEpsilon(t, exact, last, 0.05, "the running average converges on the new shape")
}

// est returns the estimator's figure for a batch, exact or not.
func est(e *estimator[plog.Logs], ld plog.Logs, items int) int64 {
	n, _ := e.estimate(ld, items)
	return n
}

// bigRecordLogs is one log record whose body is size bytes.
func bigRecordLogs(size int) plog.Logs {
	ld := genLogs(1, 3)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetStr(string(make([]byte, size)))
	return ld
}

// One huge record among ordinary batches must not make later ordinary batches
// look large: the average is weighted by items and a sample's pull is bounded.
func TestEstimatorOutlierDoesNotSkew(t *testing.T) {
	sizer := &plog.ProtoMarshaler{}
	for _, tc := range []struct {
		name    string
		outlier plog.Logs
		items   int
	}{
		{name: "one 1 MiB record", outlier: bigRecordLogs(1 << 20), items: 1},
		{name: "a batch of 100 with one 1 MiB record", outlier: func() plog.Logs {
			ld := genLogs(100, 3)
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetStr(string(make([]byte, 1<<20)))
			return ld
		}(), items: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEstimator(sizer.LogsSize, logsHeapModel)
			ordinary := genLogs(100, 3)
			exact := int64(logsHeapModel.heap(sizer.LogsSize(ordinary), 100)) + logsHeapModel.perBatch
			for range 200 {
				est(e, ordinary, 100)
			}
			// The outlier arrives as a sampled batch (the worst case).
			for e.calls.Load()%estimatorSampleEvery != estimatorSampleEvery-1 {
				est(e, ordinary, 100)
			}
			est(e, tc.outlier, tc.items)
			for i := range 2 * estimatorSampleEvery {
				got := est(e, ordinary, 100)
				require.InEpsilon(t, exact, got, 0.25, "ordinary batch %d after the outlier", i)
			}
		})
	}
}

// The first samples set the estimate even when the very first is an outlier.
func TestEstimatorRecoversFromOutlierFirst(t *testing.T) {
	sizer := &plog.ProtoMarshaler{}
	e := newEstimator(sizer.LogsSize, logsHeapModel)
	est(e, bigRecordLogs(1<<20), 1)
	ordinary := genLogs(100, 3)
	exact := int64(logsHeapModel.heap(sizer.LogsSize(ordinary), 100)) + logsHeapModel.perBatch
	for range estimatorWarmup {
		est(e, ordinary, 100)
	}
	assert.InEpsilon(t, exact, est(e, ordinary, 100), 0.25)
}
