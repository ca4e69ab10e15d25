// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
)

// advance moves the bubble's fake clock by d and lets every goroutine settle.
func advance(d time.Duration) {
	time.Sleep(d) // fake clock inside a synctest bubble
	synctest.Wait()
}

func TestPermanentErrorDropsWithoutTrippingBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := breakerConfig()
		cfg.CircuitBreaker.FailureThreshold = 1
		h := newHarness(t, cfg)
		h.down.set(modePermanent)
		h.start()
		for range 5 {
			require.NoError(t, h.send(2))
		}
		synctest.Wait()
		assert.Equal(t, int64(5), h.down.calls.Load(), "each batch tried once")
		assert.Equal(t, int64(10), h.dropped("permanent_error"))
		assert.Equal(t, int64(5), h.metric("send_failures"), "a permanent error is a failed attempt")
		assert.Zero(t, h.transitions("open"))
		assert.Empty(t, h.host.statuses())
		assert.Equal(t, 1, h.logs.FilterMessageSnippet("Items dropped").FilterLevelExact(zapcore.WarnLevel).Len(), "drop warnings are rate-limited")
		advance(dropWarnInterval)
		require.NoError(t, h.send(1))
		synctest.Wait()
		assert.Equal(t, 2, h.logs.FilterMessageSnippet("Items dropped").FilterLevelExact(zapcore.WarnLevel).Len())
		h.requireBalanced()
	})
}

func TestRetriesExhaustedAfterMaxElapsedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.CircuitBreaker.Enabled = false
		cfg.Retry.InitialInterval = time.Second
		cfg.Retry.MaxInterval = time.Second
		cfg.Retry.MaxElapsedTime = 5 * time.Second
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(3))
		synctest.Wait()
		advance(4900 * time.Millisecond)
		assert.Zero(t, h.dropped("retries_exhausted"))
		advance(100 * time.Millisecond)
		assert.Equal(t, int64(3), h.dropped("retries_exhausted"))
		assert.Equal(t, int64(6), h.down.calls.Load(), "attempts at 0s..5s")
		assert.Equal(t, int64(6), h.metric("send_failures"))
		h.requireBalanced()
	})
}

func TestBackoffDoublesUpToMaxInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.CircuitBreaker.Enabled = false
		cfg.Retry.InitialInterval = 100 * time.Millisecond
		cfg.Retry.MaxInterval = 400 * time.Millisecond
		cfg.Retry.MaxElapsedTime = 0
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(1))
		synctest.Wait()
		start := time.Now()
		var at []time.Duration
		for range 5 {
			calls := h.down.calls.Load()
			for h.down.calls.Load() == calls {
				advance(10 * time.Millisecond)
			}
			at = append(at, time.Since(start))
		}
		ms := time.Millisecond
		assert.Equal(t, []time.Duration{100 * ms, 300 * ms, 700 * ms, 1100 * ms, 1500 * ms}, at)
	})
}

func TestRetryDisabledDropsFailedBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Retry.Enabled = false
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(4))
		synctest.Wait()
		assert.Equal(t, int64(1), h.down.calls.Load())
		assert.Equal(t, int64(4), h.dropped("retries_exhausted"))
		assert.Equal(t, int64(1), h.metric("send_failures"))
		h.requireBalanced()
	})
}

func TestMaxAgeExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxAge = 2 * time.Second
		cfg.CircuitBreaker.Enabled = false
		cfg.Retry.InitialInterval = 500 * time.Millisecond
		cfg.Retry.MaxInterval = 500 * time.Millisecond
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		require.NoError(t, h.send(2))
		synctest.Wait()
		advance(2 * time.Second)
		assert.Zero(t, h.dropped("expired"), "exactly max_age old is not expired")
		advance(500 * time.Millisecond)
		assert.Equal(t, int64(2), h.dropped("expired"))
		assert.Equal(t, int64(5), h.down.calls.Load(), "attempts at 0, 0.5s .. 2s")
		h.requireBalanced()
	})
}

// A batch that panics the downstream is dropped (reason panic), logged once
// with its stack, and neither retried nor counted against the breaker, so it
// blocks neither the queue nor a healthy backend.
func TestPanicDropsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Retry.InitialInterval = time.Second
		cfg.CircuitBreaker.FailureThreshold = 1
		h := newHarness(t, cfg)
		h.down.set(modePanic)
		h.start()
		require.NoError(t, h.send(2))
		synctest.Wait()
		assert.Equal(t, int64(1), h.metric("send_failures"))
		assert.Equal(t, int64(2), h.dropped("panic"))
		panics := h.logs.FilterMessage("Downstream consumer panicked: batch dropped")
		require.Equal(t, 1, panics.Len())
		entry := panics.All()[0]
		assert.Equal(t, zapcore.ErrorLevel, entry.Level)
		assert.Contains(t, entry.ContextMap()["stack"], "resilientsink.(*core[...]).call")
		assert.Zero(t, h.transitions("open"), "a panic says nothing about the backend's health")

		h.down.set(modeSucceed)
		require.NoError(t, h.send(3))
		synctest.Wait()
		advance(time.Minute)
		assert.Equal(t, int64(2), h.down.calls.Load(), "the panicking batch was not retried")
		assert.Equal(t, []int64{1}, h.down.accepted(), "the next batch went straight through")
		assert.Equal(t, 1, h.logs.FilterMessage("Downstream consumer panicked: batch dropped").Len(), "logged once")
		h.requireBalanced()
	})
}

func TestDeliveryTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Timeout = 3 * time.Second
		cfg.Retry.Enabled = false
		h := newHarness(t, cfg)
		h.down.set(modeHang)
		h.start()
		start := time.Now()
		require.NoError(t, h.send(1))
		synctest.Wait()
		assert.Zero(t, h.metric("dropped_items"))
		advance(3 * time.Second)
		assert.Equal(t, int64(1), h.dropped("retries_exhausted"))
		assert.Equal(t, 3*time.Second, time.Since(start))
		m, err := h.tel.GetMetric(metricPrefix + "send_duration")
		require.NoError(t, err)
		assert.Contains(t, m.Name, "send_duration")
		h.requireBalanced()
	})
}

func TestOrderKeptAcrossRetriesWithOneWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := breakerConfig()
		h := newHarness(t, cfg)
		h.down.set(modeFail)
		h.start()
		for range 10 {
			require.NoError(t, h.send(1))
			advance(70 * time.Millisecond)
		}
		assert.Equal(t, int64(1), h.transitions("open"))
		h.down.set(modeSucceed)
		advance(5 * time.Second)
		want := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		assert.Equal(t, want, h.down.accepted())
		h.requireBalanced()
	})
}

func TestStartTwiceAndAfterShutdown(t *testing.T) {
	h := newHarness(t, testConfig())
	h.start()
	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	require.NoError(t, h.p.Start(context.Background(), h.host))
	require.NoError(t, h.p.Shutdown(context.Background()))
}

// Retries are spread by randomization_factor, so that many collectors do not
// retry in step after an outage: after one failure at the same instant, the
// second attempts of many instances spread over initial_interval +-50%.
func TestRetryWaitsAreJittered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.CircuitBreaker.Enabled = false
		cfg.Retry.InitialInterval = time.Second
		cfg.Retry.RandomizationFactor = 0.5
		var hs []*harness
		for range 20 {
			h := newHarness(t, cfg)
			h.down.set(modeFail)
			h.start()
			require.NoError(t, h.send(1))
			hs = append(hs, h)
		}
		synctest.Wait()
		start := time.Now()
		retriedAt := map[int]time.Duration{}
		for len(retriedAt) < len(hs) && time.Since(start) < 2*time.Second {
			advance(50 * time.Millisecond)
			for i, h := range hs {
				if _, ok := retriedAt[i]; !ok && h.down.calls.Load() >= 2 {
					retriedAt[i] = time.Since(start)
				}
			}
		}
		require.Len(t, retriedAt, len(hs), "every instance retried")
		instants := map[time.Duration]bool{}
		for _, at := range retriedAt {
			assert.GreaterOrEqual(t, at, 500*time.Millisecond)
			assert.LessOrEqual(t, at, 1500*time.Millisecond)
			instants[at] = true
		}
		assert.Greater(t, len(instants), 5, "second attempts spread over many instants: %v", retriedAt)
	})
}
