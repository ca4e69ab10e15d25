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
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap/zapcore"

	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadatatest"
)

func shutdownConfig(strategy ShutdownStrategy) *Config {
	cfg := testConfig()
	cfg.Shutdown.Strategy = strategy
	cfg.Shutdown.Timeout = 2 * time.Second
	cfg.Retry.InitialInterval = 100 * time.Millisecond
	cfg.Retry.MaxInterval = 100 * time.Millisecond
	cfg.CircuitBreaker.FailureThreshold = 2
	cfg.CircuitBreaker.OpenTimeout = 500 * time.Millisecond
	cfg.CircuitBreaker.MaxOpenTimeout = 500 * time.Millisecond
	return cfg
}

// shutdownCase runs Shutdown with 10 queued batches of 3 records and reports
// the harness, the fake time it took, and its error.
func shutdownCase(t *testing.T, strategy ShutdownStrategy, m mode, ctxTimeout time.Duration) (*harness, time.Duration, error) {
	h := newHarness(t, shutdownConfig(strategy))
	h.down.set(m)
	h.start()
	for range 10 {
		require.NoError(t, h.send(3))
	}
	synctest.Wait()
	ctx := context.Background()
	if ctxTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ctxTimeout)
		defer cancel()
	}
	start := time.Now()
	err := h.p.Shutdown(ctx)
	took := time.Since(start)
	require.NoError(t, h.p.Shutdown(context.Background()), "second Shutdown returns nil")
	return h, took, err
}

func TestShutdownStrategies(t *testing.T) {
	const (
		immediate = "strategy immediate stops delivering at once"
		ctxEnded  = "the shutdown context ended first"
		timedOut  = "shutdown.timeout or the shutdown context ended first"
	)
	tests := []struct {
		strategy   ShutdownStrategy
		mode       mode
		ctxTimeout time.Duration
		wantSent   int64
		wantTook   time.Duration
		wantCause  string
	}{
		{strategy: ShutdownStrategyImmediate, mode: modeSucceed, wantSent: 30},
		{strategy: ShutdownStrategyImmediate, mode: modeFail, wantCause: immediate},
		{strategy: ShutdownStrategyImmediate, mode: modeHang, wantCause: immediate},
		{strategy: ShutdownStrategyFlush, mode: modeSucceed, wantSent: 30},
		// The drain keeps a tenth of the time (at most 1s) back for the
		// workers to return once cancelled.
		{strategy: ShutdownStrategyFlush, mode: modeFail, ctxTimeout: 3 * time.Second, wantTook: 2700 * time.Millisecond, wantCause: ctxEnded},
		{strategy: ShutdownStrategyFlush, mode: modeHang, ctxTimeout: 3 * time.Second, wantTook: 2700 * time.Millisecond, wantCause: ctxEnded},
		{strategy: ShutdownStrategyGraceful, mode: modeSucceed, wantSent: 30},
		{strategy: ShutdownStrategyGraceful, mode: modeFail, wantTook: 1800 * time.Millisecond, wantCause: timedOut},
		{strategy: ShutdownStrategyGraceful, mode: modeHang, wantTook: 1800 * time.Millisecond, wantCause: timedOut},
		{strategy: ShutdownStrategyGraceful, mode: modeHang, ctxTimeout: time.Second, wantTook: 900 * time.Millisecond, wantCause: timedOut},
	}
	names := map[mode]string{modeSucceed: "healthy", modeFail: "dead", modeHang: "hanging"}
	for _, tt := range tests {
		name := "strategy=" + string(tt.strategy) + "/downstream=" + names[tt.mode] + "/ctx=" + tt.ctxTimeout.String()
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, took, err := shutdownCase(t, tt.strategy, tt.mode, tt.ctxTimeout)
				require.NoError(t, err, "Shutdown returns nil even when it drops: a reload must not kill the collector")
				assert.Equal(t, tt.wantTook, took, "fake time Shutdown took")
				assert.Equal(t, tt.wantSent, h.down.items.Load())
				lines := h.logs.FilterMessage("Items dropped at shutdown")
				if tt.wantCause == "" {
					assert.Zero(t, lines.Len())
				} else {
					require.Equal(t, 1, lines.Len(), "one log line")
					entry := lines.All()[0]
					assert.Equal(t, zapcore.ErrorLevel, entry.Level)
					assert.Equal(t, 30-tt.wantSent, entry.ContextMap()["dropped_shutdown"])
					assert.Equal(t, 30-tt.wantSent, entry.ContextMap()["dropped_items"])
					assert.Equal(t, tt.wantCause, entry.ContextMap()["cause"])
				}
				assert.Equal(t, 30-tt.wantSent, h.dropped("shutdown"))
				a := h.requireBalanced()
				assert.Zero(t, a.queued)
				require.ErrorIs(t, h.send(1), errShutDown, "ConsumeLogs after Shutdown")
			})
		})
	}
}

// requireShutdownLine checks the one error line of a Shutdown that dropped
// items, and returns its fields.
func requireShutdownLine(t *testing.T, h *harness, cause string, dropped int64) map[string]any {
	t.Helper()
	lines := h.logs.FilterMessage("Items dropped at shutdown")
	require.Equal(t, 1, lines.Len(), "one log line")
	entry := lines.All()[0]
	assert.Equal(t, zapcore.ErrorLevel, entry.Level)
	fields := entry.ContextMap()
	assert.Equal(t, cause, fields["cause"])
	assert.Equal(t, dropped, fields["dropped_items"])
	return fields
}

func TestShutdownFlushProbesThroughOpenBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, shutdownConfig(ShutdownStrategyFlush))
		h.down.set(modeFail)
		h.start()
		for range 5 {
			require.NoError(t, h.send(1))
		}
		advance(300 * time.Millisecond)
		require.Equal(t, int64(1), h.transitions("open"))
		h.down.set(modeSucceed)
		start := time.Now()
		require.NoError(t, h.p.Shutdown(context.Background()))
		assert.LessOrEqual(t, time.Since(start), 500*time.Millisecond, "waits at most the open wait")
		assert.Equal(t, int64(5), h.down.items.Load())
		assert.Equal(t, []int64{0, 1, 2, 3, 4}, h.down.accepted())
		h.requireBalanced()
	})
}

func TestShutdownWithoutStart(t *testing.T) {
	h := newHarness(t, testConfig())
	require.NoError(t, h.p.Shutdown(context.Background()))
	require.NoError(t, h.p.Shutdown(context.Background()))
	require.ErrorIs(t, h.send(1), errShutDown)
}

func TestShutdownWithoutStartDropsQueued(t *testing.T) {
	h := newHarness(t, testConfig())
	require.NoError(t, h.send(4))
	require.NoError(t, h.p.Shutdown(context.Background()))
	requireShutdownLine(t, h, "processor was never started", 4)
	assert.Equal(t, int64(4), h.dropped("shutdown"))
	h.requireBalanced()
}

func TestShutdownExpiredContext(t *testing.T) {
	h := newHarness(t, shutdownConfig(ShutdownStrategyFlush))
	h.down.set(modeHold)
	h.start()
	require.NoError(t, h.send(2))
	require.NoError(t, h.send(2))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, h.p.Shutdown(ctx))
	requireShutdownLine(t, h, "the shutdown context ended first", 4)
	h.requireBalanced()
}

// TestShutdownReportsDropsWhileDraining: batches that fail for good while a
// flush drains are dropped during Shutdown too, so its log line says so.
func TestShutdownReportsDropsWhileDraining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, shutdownConfig(ShutdownStrategyFlush))
		h.down.set(modeHold)
		h.start()
		for range 3 {
			require.NoError(t, h.send(2))
		}
		synctest.Wait()
		result := make(chan error, 1)
		go func() { result <- h.p.Shutdown(context.Background()) }()
		synctest.Wait()
		require.Empty(t, result, "flush waits for the held delivery")
		h.down.set(modePermanent)
		h.down.release <- struct{}{} // the held batch is accepted; the two queued fail for good
		synctest.Wait()
		require.Len(t, result, 1)
		require.NoError(t, <-result)
		assert.Equal(t, int64(4), h.dropped("permanent_error"))
		assert.Equal(t, int64(4), requireShutdownLine(t, h, "delivery failed for good while draining", 4)["dropped_permanent_error"])
		h.requireBalanced()
	})
}

func TestVerifyShutdown(t *testing.T) {
	processortest.VerifyShutdown(t, NewFactory(), createDefaultConfig())
	for _, s := range []ShutdownStrategy{ShutdownStrategyFlush, ShutdownStrategyGraceful} {
		cfg := createDefaultConfig().(*Config)
		cfg.Shutdown.Strategy = s
		cfg.NumWorkers = 3
		processortest.VerifyShutdown(t, NewFactory(), cfg)
	}
}

func TestAllSignalsLifecycle(t *testing.T) {
	f := NewFactory()
	set := processortest.NewNopSettings(f.Type())
	down := newScripted()
	host := componenttest.NewNopHost()
	ctx := context.Background()
	lp, err := f.CreateLogs(ctx, set, createDefaultConfig(), down)
	require.NoError(t, err)
	tp, err := f.CreateTraces(ctx, set, createDefaultConfig(), down)
	require.NoError(t, err)
	mp, err := f.CreateMetrics(ctx, set, createDefaultConfig(), down)
	require.NoError(t, err)
	require.NoError(t, lp.Start(ctx, host))
	require.NoError(t, tp.Start(ctx, host))
	require.NoError(t, mp.Start(ctx, host))
	assert.False(t, lp.Capabilities().MutatesData)
	require.NoError(t, lp.ConsumeLogs(ctx, genLogs(7, 3)))
	require.NoError(t, tp.ConsumeTraces(ctx, genTraces(5, 3)))
	require.NoError(t, mp.ConsumeMetrics(ctx, genMetrics(4, 3)))
	require.NoError(t, lp.Shutdown(ctx))
	require.NoError(t, tp.Shutdown(ctx))
	require.NoError(t, mp.Shutdown(ctx))
	assert.Equal(t, int64(16), down.items.Load())
}

// TestItemsPerSignal: items are log records, spans and metric data points,
// in incoming_items and sent_items alike.
func TestItemsPerSignal(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		signal string
		items  int64
		run    func(t *testing.T, set processor.Settings, next *scripted) component.Component
	}{
		{signal: "logs", items: 7, run: func(t *testing.T, set processor.Settings, next *scripted) component.Component {
			p, err := NewFactory().CreateLogs(ctx, set, createDefaultConfig(), next)
			require.NoError(t, err)
			require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
			require.NoError(t, p.ConsumeLogs(ctx, genLogs(7, 3)))
			return p
		}},
		{signal: "traces", items: 5, run: func(t *testing.T, set processor.Settings, next *scripted) component.Component {
			p, err := NewFactory().CreateTraces(ctx, set, createDefaultConfig(), next)
			require.NoError(t, err)
			require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
			require.NoError(t, p.ConsumeTraces(ctx, genTraces(5, 3)))
			return p
		}},
		{signal: "metrics", items: 4, run: func(t *testing.T, set processor.Settings, next *scripted) component.Component {
			p, err := NewFactory().CreateMetrics(ctx, set, createDefaultConfig(), next)
			require.NoError(t, err)
			require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
			require.NoError(t, p.ConsumeMetrics(ctx, genMetrics(4, 3)))
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(ctx)) })
			next := newScripted()
			p := tt.run(t, metadatatest.NewSettings(tel), next)
			require.NoError(t, p.Shutdown(ctx), "the default strategy drains")
			h := &harness{t: t, tel: tel}
			assert.Equal(t, tt.items, h.metric("incoming_items"))
			assert.Equal(t, tt.items, h.metric("sent_items"))
			assert.Equal(t, tt.items, next.items.Load())
		})
	}
}

// A downstream that ignores cancellation must not hold Shutdown past its
// deadline, even with no delivery timeout: the batch in its hands is
// abandoned and counted, and the worker gives the data back when it returns.
func TestShutdownAbandonsDeliveryThatIgnoresCancellation(t *testing.T) {
	for _, strategy := range []ShutdownStrategy{ShutdownStrategyImmediate, ShutdownStrategyGraceful, ShutdownStrategyFlush} {
		t.Run(string(strategy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := shutdownConfig(strategy)
				cfg.Timeout = 0 // no delivery deadline
				h := newHarness(t, cfg)
				stuck := make(chan struct{})
				h.down.hook = func() { <-stuck } // ignores its context
				h.start()
				require.NoError(t, h.send(3))
				require.NoError(t, h.send(4))
				synctest.Wait()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				start := time.Now()
				require.NoError(t, h.p.Shutdown(ctx))
				took := time.Since(start)
				assert.LessOrEqual(t, took, 5*time.Second, "never past the context's deadline")
				if strategy != ShutdownStrategyFlush {
					assert.LessOrEqual(t, took, 2*time.Second, "never past shutdown.timeout")
				}
				assert.Equal(t, int64(7), h.dropped("shutdown"), "the abandoned batch and the queued one")
				assert.Equal(t, 1, h.logs.FilterMessage("Delivery did not return by the shutdown deadline: batch abandoned").Len())
				requireShutdownLine(t, h, "deliveries in flight did not return by the deadline: abandoned", 7)
				a := h.accounts()
				assert.Zero(t, a.queued)
				assert.Equal(t, a.incoming, a.sent+a.dropped+a.refused+a.queued)
				close(stuck) // the downstream returns at last: nothing is counted twice
				synctest.Wait()
				assert.Equal(t, int64(7), h.dropped("shutdown"))
				assert.Zero(t, h.metric("sent_items"))
			})
		})
	}
}
