// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
)

// TestHoldsReferenceUnderProtoPooling plays a receiver under the proto pooling
// feature gate: it releases its reference as soon as ConsumeLogs returns. The
// processor's own reference must keep the data alive until it is delivered or
// dropped, and be released exactly once (a second Unref panics in pdata).
func TestHoldsReferenceUnderProtoPooling(t *testing.T) {
	reg := featuregate.GlobalRegistry()
	require.NoError(t, reg.Set(pref.UseProtoPooling.ID(), true))
	t.Cleanup(func() { require.NoError(t, reg.Set(pref.UseProtoPooling.ID(), false)) })

	cfg := testConfig()
	cfg.QueueSize = 3
	h := newHarness(t, cfg)
	receive := func(n int) {
		ld := wireLogs(genLogs(n, 3))
		pref.MarkPipelineOwnedLogs(ld)
		require.NoError(t, h.p.ConsumeLogs(context.Background(), ld))
		pref.UnrefLogs(ld) // the receiver is done with it
	}
	for _, n := range []int{5, 6, 7, 8} { // the first is evicted by drop_oldest
		receive(n)
	}
	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	assert.Equal(t, int64(21), h.down.items.Load(), "queued data intact after the receiver released it")
	assert.Equal(t, int64(5), h.dropped("overflow"))
	h.requireBalanced()
}
