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
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
)

// fillThenDrain sends 5 batches of 2 records (seq 0..4) into a queue of 3
// batches before Start, then starts with a healthy downstream and shuts down
// gracefully, so every queued batch is delivered.
func fillThenDrain(t *testing.T, overflow OverflowPolicy) (*harness, []error) {
	cfg := testConfig()
	cfg.QueueSize = 3
	cfg.Overflow = overflow
	cfg.BlockTimeout = time.Millisecond
	h := newHarness(t, cfg)
	var errs []error
	for range 5 {
		errs = append(errs, h.send(2))
	}
	assert.Equal(t, int64(3), h.metric("queue_batches"))
	assert.Equal(t, int64(6), h.metric("queue_items"))
	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	return h, errs
}

func TestOverflowDropOldestEvictsOldestByArrival(t *testing.T) {
	h, errs := fillThenDrain(t, OverflowPolicyDropOldest)
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, []int64{2, 3, 4}, h.down.accepted())
	assert.Equal(t, int64(4), h.dropped("overflow"))
	a := h.requireBalanced()
	assert.Equal(t, accounts{incoming: 10, sent: 6, dropped: 4}, a)
}

func TestOverflowDropNewestDropsNewBatch(t *testing.T) {
	h, errs := fillThenDrain(t, OverflowPolicyDropNewest)
	for _, err := range errs {
		require.NoError(t, err, "drop_newest reports success to the caller")
	}
	assert.Equal(t, []int64{0, 1, 2}, h.down.accepted())
	assert.Equal(t, int64(4), h.dropped("overflow"))
	h.requireBalanced()
}

func TestOverflowRejectRefusesWithRetryableError(t *testing.T) {
	h, errs := fillThenDrain(t, OverflowPolicyReject)
	for i, err := range errs {
		if i < 3 {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, errQueueFull)
		assert.False(t, consumererror.IsPermanent(err), "queue full must be retryable")
	}
	assert.Equal(t, []int64{0, 1, 2}, h.down.accepted())
	assert.Zero(t, h.metric("dropped_items"))
	assert.Equal(t, int64(4), h.metric("refused_items"))
	h.requireBalanced()
}

func TestOverflowBlockRefusesAfterBlockTimeout(t *testing.T) {
	h, errs := fillThenDrain(t, OverflowPolicyBlock)
	for i, err := range errs {
		if i < 3 {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, errQueueFull)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, consumererror.IsPermanent(err))
	}
	assert.Equal(t, int64(4), h.metric("refused_items"))
	h.requireBalanced()
}

func TestOverflowBlockWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.QueueSize = 1
		cfg.Overflow = OverflowPolicyBlock
		cfg.BlockTimeout = 10 * time.Second
		h := newHarness(t, cfg)
		h.down.set(modeHold)
		h.start()
		require.NoError(t, h.send(1))
		synctest.Wait()
		require.Equal(t, int64(1), h.down.inFlight.Load())

		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- h.send(1) }()
		time.Sleep(3 * time.Second) // fake clock: the caller is still blocked
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("ConsumeLogs returned early: %v", err)
		default:
		}
		h.down.release <- struct{}{}
		require.NoError(t, <-done)
		assert.Equal(t, 3*time.Second, time.Since(start))
		h.down.release <- struct{}{}
		require.NoError(t, h.p.Shutdown(context.Background()))
		assert.Equal(t, []int64{0, 1}, h.down.accepted())
		h.requireBalanced()
	})
}

func TestOverflowBlockHonoursCallerContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.QueueSize = 1
		cfg.Overflow = OverflowPolicyBlock
		cfg.BlockTimeout = time.Minute
		h := newHarness(t, cfg)
		require.NoError(t, h.send(1))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := h.p.ConsumeLogs(ctx, h.batch(1))
		require.ErrorIs(t, err, errQueueFull)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, int64(1), h.metric("refused_items"))
	})
}

func TestOverflowBlockedCallerReleasedByShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.QueueSize = 1
		cfg.Overflow = OverflowPolicyBlock
		cfg.BlockTimeout = time.Minute
		cfg.Shutdown.Strategy = ShutdownStrategyImmediate
		h := newHarness(t, cfg)
		require.NoError(t, h.send(1))
		done := make(chan error, 1)
		go func() { done <- h.send(1) }()
		synctest.Wait()
		require.NoError(t, h.p.Shutdown(context.Background()))
		err := <-done
		require.ErrorIs(t, err, errShutDown)
		assert.Equal(t, int64(1), h.metric("refused_items"))
		assert.Equal(t, int64(1), h.dropped("shutdown"))
		h.requireBalanced()
	})
}

func TestOverflowDropOldestCannotEvictInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.QueueSize = 1
		h := newHarness(t, cfg)
		h.down.set(modeHold)
		h.start()
		require.NoError(t, h.send(1))
		synctest.Wait()
		require.Equal(t, int64(1), h.down.inFlight.Load())
		require.NoError(t, h.send(5), "drop_oldest reports success")
		assert.Equal(t, int64(5), h.dropped("overflow"), "the new batch is dropped, the in-flight one kept")
		h.down.release <- struct{}{}
		require.NoError(t, h.p.Shutdown(context.Background()))
		assert.Equal(t, []int64{0}, h.down.accepted())
		h.requireBalanced()
	})
}

// TestOverflowDropOldestEvictsOnlyWhenThatMakesRoom: under drop_oldest a
// batch in flight holds most of the byte budget. A new batch that would not
// fit even with the queue emptied is dropped alone, without evicting the
// queued batch for nothing; one that fits once the queued batch is gone
// evicts it.
func TestOverflowDropOldestEvictsOnlyWhenThatMakesRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.MemoryLimitMiB = 1
		cfg.NumWorkers = 2
		h := newHarness(t, cfg)
		h.down.set(modeHold)
		h.start()
		const limit = 1 << 20
		// In flight, in the two workers: about half the budget.
		require.NoError(t, h.send(1000))
		synctest.Wait()
		perItem := h.metric("queue_bytes") / 1000
		items := func(bytes int64) int { return int(bytes / perItem) }
		more := items(limit/2) - 1000
		require.NoError(t, h.send(more))
		synctest.Wait()
		require.Equal(t, int64(2), h.down.inFlight.Load())
		inFlight := h.metric("queue_bytes")
		require.Less(t, inFlight, int64(limit*55/100), "setup: in flight plus padding near half the budget")
		// Queued behind it: a fifth of the budget.
		require.NoError(t, h.send(items(limit/5)))
		queued := h.metric("queue_items")

		// Needs more than the budget minus what is in flight: cannot fit.
		tooBig := items(limit-inFlight) + items(limit/20)
		require.NoError(t, h.send(tooBig), "drop_oldest reports success")
		assert.Equal(t, int64(tooBig), h.dropped("overflow"), "only the new batch is dropped")
		assert.Equal(t, queued, h.metric("queue_items"), "the queued batches stay queued")

		// Fits once the queued batches are evicted (but not beside them).
		fits := items(limit-inFlight) - items(limit/20)
		require.Greater(t, fits, items(limit/5), "setup: the second batch needs the queued batch's room")
		require.NoError(t, h.send(fits))
		assert.Equal(t, int64(tooBig)+queued-int64(1000+more), h.dropped("overflow"), "the queued batches were evicted for it")
		assert.Equal(t, int64(1000+more+fits), h.metric("queue_items"))
		assert.LessOrEqual(t, h.metric("queue_bytes"), int64(limit))

		h.down.set(modeSucceed)
		for range 3 {
			h.down.release <- struct{}{}
		}
		synctest.Wait()
		require.NoError(t, h.p.Shutdown(context.Background()))
		h.requireBalanced()
	})
}

func TestTooLarge(t *testing.T) {
	for _, policy := range []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock} {
		t.Run("overflow="+string(policy), func(t *testing.T) {
			cfg := testConfig()
			cfg.MemoryLimitMiB = 1
			cfg.Overflow = policy
			h := newHarness(t, cfg)
			require.NoError(t, h.send(1))
			err := h.send(20000) // about 4 MiB of estimated heap
			if policy == OverflowPolicyReject || policy == OverflowPolicyBlock {
				require.ErrorIs(t, err, errTooLarge)
				assert.True(t, consumererror.IsPermanent(err), "a batch over the whole budget can never fit")
				assert.Equal(t, int64(20000), h.metric("refused_items"))
			} else {
				require.NoError(t, err)
				assert.Equal(t, int64(20000), h.dropped("too_large"))
			}
			assert.Equal(t, int64(1), h.metric("queue_items"), "the queued batch is not evicted for a batch that can never fit")
			h.requireBalanced()
		})
	}
}

func TestByteBudgetNeverExceeded(t *testing.T) {
	for _, policy := range []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject} {
		t.Run("overflow="+string(policy), func(t *testing.T) {
			cfg := testConfig()
			cfg.QueueSize = 5000 // more than fit 1 MiB: the bytes decide
			cfg.MemoryLimitMiB = 1
			cfg.Overflow = policy
			cfg.CircuitBreaker.OpenTimeout = 50 * time.Millisecond
			cfg.CircuitBreaker.MaxOpenTimeout = 50 * time.Millisecond
			h := newHarness(t, cfg)
			h.down.set(modeFail)
			h.start()
			limit := int64(1 << 20)
			assert.Equal(t, limit, h.metric("memory_limit_bytes"))
			var peak int64
			for i := range 300 {
				err := h.send(1 + i%50)
				if err != nil {
					require.ErrorIs(t, err, errQueueFull)
				}
				b := h.metric("queue_bytes")
				require.LessOrEqual(t, b, limit)
				peak = max(peak, b)
			}
			assert.Greater(t, peak, limit*8/10, "the budget fills up")
			h.down.set(modeSucceed)
			h.requireEventuallyDrained()
		})
	}
}

func (h *harness) requireEventuallyDrained() {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return h.metric("queue_batches") == 0 }, 30*time.Second, time.Millisecond)
	h.requireBalanced()
}

func TestConsumeAfterShutdownErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	err := h.send(3)
	require.ErrorIs(t, err, errShutDown)
	assert.Equal(t, int64(3), h.metric("refused_items"))
	require.NotErrorIs(t, err, errQueueFull)
	require.ErrorIs(t, h.p.ConsumeLogs(context.Background(), genLogs(20000, 3)), errShutDown, "even a batch too large for the budget")
	require.ErrorIs(t, h.p.ConsumeLogs(context.Background(), plog.NewLogs()), errShutDown, "even an empty batch")
	h.requireBalanced()
}

// TestExpiredBatchesMakeRoom: with max_age set, batches past it that wait in
// the queue are dropped (reason expired) when a new batch needs their room,
// under every policy, instead of the new batch being dropped or refused.
func TestExpiredBatchesMakeRoom(t *testing.T) {
	for _, policy := range []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock} {
		t.Run("overflow="+string(policy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := testConfig()
				cfg.QueueSize = 2
				cfg.Overflow = policy
				cfg.MaxAge = time.Minute
				cfg.Timeout = 0
				h := newHarness(t, cfg)
				h.down.set(modeHold)
				h.start()
				require.NoError(t, h.send(1)) // in flight
				synctest.Wait()
				require.NoError(t, h.send(2)) // queued: the queue is full
				advance(2 * time.Minute)
				require.NoError(t, h.send(3))
				assert.Equal(t, int64(2), h.dropped("expired"), "the expired queued batch made room")
				assert.Zero(t, h.dropped("overflow"))
				assert.Zero(t, h.metric("refused_items"))
				assert.Equal(t, int64(4), h.metric("queue_items"), "in flight (not touched) and the new batch")

				// Nothing expired now: the usual overflow rule applies.
				err := h.send(4)
				switch policy {
				case OverflowPolicyDropOldest:
					require.NoError(t, err)
					assert.Equal(t, int64(3), h.dropped("overflow"), "the queued new batch is evicted")
				case OverflowPolicyDropNewest:
					require.NoError(t, err)
					assert.Equal(t, int64(4), h.dropped("overflow"))
				default:
					require.ErrorIs(t, err, errQueueFull)
					assert.Equal(t, int64(4), h.metric("refused_items"))
				}
				h.down.set(modeSucceed)
				h.down.release <- struct{}{}
				synctest.Wait()
				require.NoError(t, h.p.Shutdown(context.Background()))
				h.requireBalanced()
			})
		})
	}
}
