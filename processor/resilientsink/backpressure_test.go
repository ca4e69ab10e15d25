// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// retryInfo returns the status code and RetryInfo delay of a refusal.
func retryInfo(t *testing.T, err error) (codes.Code, time.Duration) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "a gRPC status: %v", err)
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return st.Code(), ri.GetRetryDelay().AsDuration()
		}
	}
	t.Fatalf("no RetryInfo in %v", st)
	return 0, 0
}

func TestRefusalsSayWhenToComeBack(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 2
	cfg.Overflow = OverflowPolicyReject
	cfg.Backpressure.RetryAfterMin = 2 * time.Second
	cfg.Backpressure.RetryAfterMax = 20 * time.Second
	h := newHarness(t, cfg)
	h.down.set(modeHold)
	h.start()
	require.NoError(t, h.send(1))
	require.NoError(t, h.send(1))
	err := h.send(1)
	require.ErrorIs(t, err, errQueueFull, "the queue's error stays in the chain")
	code, delay := retryInfo(t, err)
	assert.Equal(t, codes.ResourceExhausted, code)
	// Nothing drains (the downstream holds): the longest delay, less jitter.
	assert.GreaterOrEqual(t, delay, 16*time.Second)
	assert.LessOrEqual(t, delay, 20*time.Second)
	assert.Contains(t, err.Error(), "resilientsink")
	assert.Contains(t, err.Error(), "2 of 2 batches (queue_size)")

	h.down.set(modeSucceed)
	close(h.down.release)
	require.NoError(t, h.p.Shutdown(context.Background()))
	err = h.send(1)
	require.ErrorIs(t, err, errShutDown)
	code, delay = retryInfo(t, err)
	assert.Equal(t, codes.Unavailable, code)
	assert.GreaterOrEqual(t, delay, 2*time.Second, "retry_after_min, plus jitter")
	assert.LessOrEqual(t, delay, 2*time.Second*12/10)
}

func TestRefusalDelayFollowsDrainRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var m drainMeter
		now := time.Now()
		for s := range drainWindow {
			m.add(now.Add(time.Duration(s)*time.Second), 10, 1000, 0)
		}
		batches, mem, disk := m.rates(now.Add((drainWindow - 1) * time.Second))
		assert.InDelta(t, 10, batches, 1e-9)
		assert.InDelta(t, 1000, mem, 1e-9)
		assert.Zero(t, disk)
		// Past the window, nothing drained.
		batches, _, _ = m.rates(now.Add(3 * drainWindow * time.Second))
		assert.Zero(t, batches)
	})
}

// A throttling downstream does not open the breaker and is retried no sooner
// than it asked, for both ways upstream's exporters throttle.
func TestThrottleIsObeyedAndNotABreakerFailure(t *testing.T) {
	st, err := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(3 * time.Second)})
	require.NoError(t, err)
	for name, throttle := range map[string]error{
		"exporterhelper": exporterhelper.NewThrottleRetry(errors.New("429 Too Many Requests"), 3*time.Second),
		"grpc status":    st.Err(),
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := testConfig()
				cfg.Retry.InitialInterval = 10 * time.Millisecond
				cfg.CircuitBreaker.FailureThreshold = 1
				h := newHarness(t, cfg)
				first := true
				h.down.hook = func() {
					if first {
						first = false
						h.down.set(modeFail)
						return
					}
					h.down.set(modeSucceed)
				}
				h.down.failWith = throttle
				h.start()
				require.NoError(t, h.send(3))
				synctest.Wait()
				start := time.Now()
				require.Equal(t, int64(1), h.metric("throttled_attempts"))
				time.Sleep(2900 * time.Millisecond)
				synctest.Wait()
				assert.Zero(t, h.down.items.Load(), "not retried before the hinted 3s")
				time.Sleep(200 * time.Millisecond)
				synctest.Wait()
				assert.Equal(t, int64(3), h.down.items.Load(), "retried after %s", time.Since(start))
				assert.Zero(t, h.metric("breaker_transitions", attribute.String("state", "open")), "a throttle is not a breaker failure")
				h.requireBalanced()
			})
		})
	}
}

func TestThrottleDelayFindsNoThrottleInOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("plain"), status.Error(codes.Unavailable, "no info"), errors.Join(errors.New("a"), errors.New("b"))} {
		_, ok := throttleDelay(err)
		assert.False(t, ok, "%v", err)
	}
	d, ok := throttleDelay(errors.Join(errors.New("a"), exporterhelper.NewThrottleRetry(errors.New("b"), time.Minute)))
	assert.True(t, ok)
	assert.Equal(t, time.Minute, d)
}

// fullQueue returns a queue of queue_size 10, full, that freed rate batches a
// second over the whole drain window ending at now.
func fullQueue(now time.Time, rate int64) *tieredQueue[plog.Logs] {
	cfg := testConfig()
	cfg.QueueSize = 10
	sig := logsSignal(consumertest.NewNop())
	q := newTieredQueue(cfg, &sig, nil, zap.NewNop())
	q.mem.batches = 10
	for s := range drainWindow {
		q.drained.add(now.Add(-time.Duration(s)*time.Second), rate, 0, 0)
	}
	return q
}

// Each refused client is told the time until its batch fits after the
// batches already promised to the clients refused before it.
func TestRefusalDelayCountsPromisedRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := fullQueue(time.Now(), 20) // a batch freed every 50ms
		for i := range 5 {
			assert.Equal(t, time.Duration(i+1)*50*time.Millisecond, q.timeToFit(1, false, time.Minute), "refusal %d", i)
		}
	})
}

// The promises drain with time: a refusal after the earlier promised clients
// came back waits only for its own batch.
func TestRefusalPromisesDrainWithTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := fullQueue(time.Now(), 20)
		for range 5 {
			q.timeToFit(1, false, time.Minute) // promised up to 250ms from now
		}
		time.Sleep(200 * time.Millisecond) // the fake clock; same drain window
		assert.Equal(t, 100*time.Millisecond, q.timeToFit(1, false, time.Minute), "50ms of promises left, then its own 50ms")
		time.Sleep(700 * time.Millisecond)
		assert.Equal(t, 50*time.Millisecond, q.timeToFit(1, false, time.Minute), "every promise is due: only its own batch")
	})
}

// The promises cannot run away: they reach at most retry_after_max ahead.
func TestRefusalPromisesAreCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := fullQueue(time.Now(), 20)
		var last time.Duration
		for range 1000 {
			last = q.timeToFit(1, false, time.Second)
			require.LessOrEqual(t, last, time.Second+50*time.Millisecond)
		}
		assert.Equal(t, time.Second+50*time.Millisecond, last)
		time.Sleep(time.Second)
		q.drained.add(time.Now(), 20, 0, 0) // still 20 a second over the window
		assert.Equal(t, 50*time.Millisecond, q.timeToFit(1, false, time.Second), "a second later everything promised is due")
	})
}

// While the downstream throttles and nothing drains, a refused client is told
// the time until the throttle ends, spaced by the promises at the rate measured
// before the throttle, not retry_after_max; the delay stays clamped.
func TestRefusalWhileThrottledWaitsForTheThrottle(t *testing.T) {
	for name, tc := range map[string]struct {
		drainedBefore int           // batches sent before the throttle, in one second
		throttle      time.Duration // the downstream's hint
		backoff       time.Duration // retry::initial_interval; 10ms when zero
		want          []time.Duration
	}{
		"no rate measured": {throttle: 5 * time.Second, want: []time.Duration{5 * time.Second, 5 * time.Second}},
		// 10 batches in the 5s window: 2 a second, 500ms each.
		"rate measured before":       {drainedBefore: 10, throttle: 5 * time.Second, want: []time.Duration{5500 * time.Millisecond, 6 * time.Second, 6500 * time.Millisecond}},
		"clamped to retry_after_max": {throttle: 2 * time.Minute, want: []time.Duration{time.Minute}},
		// The queue tries the throttled batches again after their backoff.
		"backoff longer than the throttle": {throttle: 5 * time.Second, backoff: 8 * time.Second, want: []time.Duration{8 * time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := testConfig()
				cfg.QueueSize = 2
				cfg.NumWorkers = 2
				cfg.Overflow = OverflowPolicyReject
				cfg.Retry.InitialInterval = 10 * time.Millisecond
				if tc.backoff > 0 {
					cfg.Retry.InitialInterval = tc.backoff
				}
				cfg.Retry.MaxInterval = 10 * time.Minute
				cfg.Backpressure.RetryAfterMin = time.Second
				cfg.Backpressure.RetryAfterMax = time.Minute
				h := newHarness(t, cfg)
				h.down.failWith = exporterhelper.NewThrottleRetry(errors.New("429 Too Many Requests"), tc.throttle)
				h.start()
				for range tc.drainedBefore {
					require.NoError(t, h.send(1))
					synctest.Wait()
				}
				h.down.set(modeFail)
				require.NoError(t, h.send(1))
				require.NoError(t, h.send(1))
				synctest.Wait() // both throttled, waiting in the retry schedule
				require.Equal(t, int64(2), h.metric("throttled_attempts"))
				for i, want := range tc.want {
					err := h.send(1)
					require.ErrorIs(t, err, errQueueFull)
					code, delay := retryInfo(t, err)
					assert.Equal(t, codes.ResourceExhausted, code)
					lo, hi := want*8/10, want*12/10
					if want == cfg.Backpressure.RetryAfterMax {
						lo, hi = want*8/10, want
					}
					assert.GreaterOrEqual(t, delay, lo, "refusal %d", i)
					assert.LessOrEqual(t, delay, hi, "refusal %d", i)
				}
				h.down.set(modeSucceed)
				time.Sleep(max(tc.throttle, tc.backoff))
				synctest.Wait()
				h.requireBalanced()
			})
		})
	}
}
