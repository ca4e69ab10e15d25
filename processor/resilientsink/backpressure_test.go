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
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/otel/attribute"
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
