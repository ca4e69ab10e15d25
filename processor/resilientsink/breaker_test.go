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
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func breakerConfig() *Config {
	cfg := testConfig()
	cfg.Retry.InitialInterval = 100 * time.Millisecond
	cfg.Retry.MaxInterval = 100 * time.Millisecond
	cfg.Retry.MaxElapsedTime = 0
	cfg.CircuitBreaker.FailureThreshold = 3
	cfg.CircuitBreaker.OpenTimeout = time.Second
	cfg.CircuitBreaker.MaxOpenTimeout = 4 * time.Second
	return cfg
}

// sendDurations is the number of send_duration records with this outcome.
func (h *harness) sendDurations(outcome string) uint64 {
	m, ok := h.collect()[metricPrefix+"send_duration"]
	if !ok {
		return 0
	}
	hist, ok := m.Data.(metricdata.Histogram[float64])
	require.True(h.t, ok, "send_duration is a histogram")
	var n uint64
	for _, dp := range hist.DataPoints {
		if v, _ := dp.Attributes.Value("outcome"); v.AsString() == outcome {
			n += dp.Count
		}
	}
	return n
}

func (h *harness) transitions(state string) int64 {
	return h.metric("breaker_transitions", attribute.String("state", state))
}

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, breakerConfig())
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(2))
		synctest.Wait()
		advance(200 * time.Millisecond) // attempts at 0, 100ms, 200ms
		require.Equal(t, int64(3), h.down.calls.Load())
		assert.Equal(t, int64(1), h.transitions("open"))
		assert.Equal(t, int64(2), h.metric("breaker_state"))
		assert.Equal(t, int64(3), h.metric("send_failures"))
		assert.Equal(t, uint64(3), h.sendDurations("failure"), "send_duration counts the same failed attempts")
		assert.Zero(t, h.sendDurations("success"))
		assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError}, h.host.statuses())

		// Open: no delivery, the queue keeps absorbing data.
		require.NoError(t, h.send(1))
		advance(999 * time.Millisecond)
		assert.Equal(t, int64(3), h.down.calls.Load(), "no delivery while open")
		assert.Equal(t, int64(2), h.metric("queue_batches"))

		// Half-open probe fails: re-open with the wait doubled (2s).
		advance(time.Millisecond)
		assert.Equal(t, int64(4), h.down.calls.Load(), "one probe after open_timeout")
		assert.Equal(t, int64(1), h.transitions("half_open"))
		assert.Equal(t, int64(2), h.transitions("open"))
		advance(1999 * time.Millisecond)
		assert.Equal(t, int64(4), h.down.calls.Load(), "second open wait is doubled")

		// Downstream recovers: the next probe, held in flight for a moment
		// (half-open), closes the breaker.
		h.down.set(modeHold)
		advance(time.Millisecond)
		assert.Equal(t, int64(5), h.down.calls.Load())
		assert.Equal(t, int64(1), h.metric("breaker_state"), "half-open while the probe is in flight")
		h.down.set(modeSucceed)
		h.down.release <- struct{}{}
		synctest.Wait()
		assert.Equal(t, int64(1), h.transitions("closed"))
		assert.Equal(t, int64(0), h.metric("breaker_state"))
		assert.Equal(t, []int64{0, 1}, h.down.accepted())
		assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, h.host.statuses())
		assert.Equal(t, 2, h.logs.FilterMessageSnippet("Circuit breaker opened").Len(), "each transition logged once")
		assert.Equal(t, 1, h.logs.FilterMessageSnippet("Circuit breaker closed").Len())
		h.requireBalanced()
	})
}

func TestBreakerOpenWaitCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := breakerConfig()
		cfg.CircuitBreaker.FailureThreshold = 1
		cfg.CircuitBreaker.MaxOpenTimeout = 2 * time.Second
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(1))
		synctest.Wait()
		start := time.Now()
		var probes []time.Duration
		for range 4 {
			calls := h.down.calls.Load()
			for h.down.calls.Load() == calls {
				advance(10 * time.Millisecond)
			}
			probes = append(probes, time.Since(start).Round(10*time.Millisecond))
		}
		// open waits 1s, 2s, then capped at 2s.
		assert.Equal(t, []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 7 * time.Second}, probes)
	})
}

func TestHalfOpenProbesLimitConcurrentDeliveries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := breakerConfig()
		cfg.NumWorkers = 4
		cfg.CircuitBreaker.FailureThreshold = 1
		cfg.CircuitBreaker.HalfOpenProbes = 1
		cfg.CircuitBreaker.SuccessThreshold = 2
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		for range 6 {
			require.NoError(t, h.send(1))
		}
		synctest.Wait()
		require.Equal(t, int64(1), h.transitions("open"))
		h.down.set(modeHold)
		calls := h.down.calls.Load()
		advance(time.Second)
		assert.Equal(t, int64(1), h.down.inFlight.Load(), "one probe at a time while half-open")
		assert.Equal(t, calls+1, h.down.calls.Load())
		h.down.release <- struct{}{}
		synctest.Wait()
		assert.Equal(t, int64(1), h.down.inFlight.Load(), "second probe after the first succeeded")
		h.down.release <- struct{}{}
		synctest.Wait()
		assert.Equal(t, int64(1), h.transitions("closed"))
		for range 4 {
			h.down.release <- struct{}{}
		}
		synctest.Wait()
		assert.Equal(t, int64(6), h.down.items.Load())
		h.requireBalanced()
	})
}

// TestLimitsHoldBehindOpenBreaker: a batch behind the open breaker is given
// up at its own limits (max_elapsed_time after its first failure, max_age
// after it arrived), not only at the breaker's next probe.
func TestLimitsHoldBehindOpenBreaker(t *testing.T) {
	for _, tt := range []struct {
		name   string
		set    func(cfg *Config)
		reason string
		at     time.Duration // when it is dropped
	}{
		{name: "max_elapsed_time", set: func(cfg *Config) { cfg.Retry.MaxElapsedTime = 5 * time.Second },
			reason: "retries_exhausted", at: 5 * time.Second},
		{name: "max_age", set: func(cfg *Config) { cfg.MaxAge = 3 * time.Second },
			reason: "expired", at: 3*time.Second + time.Nanosecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := breakerConfig()
				cfg.CircuitBreaker.FailureThreshold = 1
				cfg.CircuitBreaker.OpenTimeout = time.Minute
				cfg.CircuitBreaker.MaxOpenTimeout = time.Minute
				tt.set(cfg)
				h := newHarness(t, cfg)
				h.down.set(modeFail)
				h.start()
				start := time.Now()
				require.NoError(t, h.send(2))
				synctest.Wait()
				require.Equal(t, int64(1), h.transitions("open"))
				advance(tt.at - time.Since(start) - time.Nanosecond)
				assert.Zero(t, h.dropped(tt.reason), "not yet")
				advance(time.Nanosecond)
				assert.Equal(t, int64(2), h.dropped(tt.reason), "dropped at its limit, a minute before the probe")
				assert.Equal(t, int64(1), h.down.calls.Load(), "no probe yet")
				assert.Equal(t, int64(0), h.metric("queue_batches"))
				h.requireBalanced()
			})
		})
	}
}
