// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestEstimatorSamples(t *testing.T) {
	sized := 0
	sizer := &plog.ProtoMarshaler{}
	e := newEstimator(func(ld plog.Logs) int { sized++; return sizer.LogsSize(ld) }, logsHeapModel)
	ld := genLogs(100, 3)
	exact := int64(logsHeapModel.heap(sizer.LogsSize(ld), 100)) + logsHeapModel.perBatch
	for range 1000 {
		assert.InEpsilon(t, exact, e.estimate(ld, 100), 0.01)
	}
	assert.Equal(t, estimatorWarmup+1000/estimatorSampleEvery, sized, "warm-up, then one in estimatorSampleEvery")
}

func TestEstimatorScalesWithItems(t *testing.T) {
	e := newEstimator((&plog.ProtoMarshaler{}).LogsSize, logsHeapModel)
	ld := genLogs(100, 20)
	for range estimatorWarmup {
		e.estimate(ld, 100)
	}
	small := genLogs(10, 20)
	// A priced (not sampled) batch of 10 costs about a tenth of one of 100.
	got := e.estimate(small, 10)
	want := (e.estimate(ld, 100)-logsHeapModel.perBatch)/10 + logsHeapModel.perBatch
	assert.InEpsilon(t, want, got, 0.05)
}

func TestEstimatorAdaptsToShapeChange(t *testing.T) {
	sizer := &plog.ProtoMarshaler{}
	e := newEstimator(sizer.LogsSize, logsHeapModel)
	for range 100 {
		e.estimate(genLogs(10, 3), 10)
	}
	rich := genLogs(10, 20)
	exact := int64(logsHeapModel.heap(sizer.LogsSize(rich), 10)) + logsHeapModel.perBatch
	var last int64
	for range 64 * 40 {
		last = e.estimate(rich, 10)
	}
	assert.InEpsilon(t, exact, last, 0.05, "the running average converges on the new shape")
}
