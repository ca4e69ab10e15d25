// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
)

// TestIdleBreakerLeavesOpenAfterOpenTimeout: a breaker that opened on a
// pipeline that then went idle (its only batch dropped, nothing queued) no
// longer reports open once open_timeout has passed: the breaker_state gauge
// reads half-open at the next collection and the component status returns
// to OK, so an alert on the gauge resolves when the downstream is back. The
// next batch is the probe.
func TestIdleBreakerLeavesOpenAfterOpenTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := breakerConfig()
		cfg.CircuitBreaker.FailureThreshold = 1
		cfg.Retry.Enabled = false // the failed batch is dropped: the queue is empty
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(2))
		synctest.Wait()
		require.Equal(t, int64(2), h.metric("breaker_state"), "open after the failure")
		require.Equal(t, int64(0), h.metric("queue_batches"), "nothing queued: idle")
		advance(999 * time.Millisecond)
		assert.Equal(t, int64(2), h.metric("breaker_state"), "open until open_timeout")

		advance(time.Millisecond)
		assert.Equal(t, int64(1), h.metric("breaker_state"), "half-open once open_timeout has passed, without traffic")
		assert.Equal(t, int64(1), h.transitions("half_open"))
		assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, h.host.statuses())
		assert.Equal(t, int64(1), h.down.calls.Load(), "no delivery is made up for the probe")

		// The downstream is back: the next batch is the probe and closes it.
		h.down.set(modeSucceed)
		require.NoError(t, h.send(1))
		synctest.Wait()
		assert.Equal(t, int64(0), h.metric("breaker_state"))
		assert.Equal(t, int64(1), h.transitions("closed"))
		assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, h.host.statuses(), "OK is reported once")
		h.requireBalanced()
	})
}
