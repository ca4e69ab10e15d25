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
	tests := []struct {
		strategy   ShutdownStrategy
		mode       mode
		ctxTimeout time.Duration
		wantSent   int64
		wantTook   time.Duration
		wantErr    string
		wantCause  error
	}{
		{strategy: ShutdownStrategyImmediate, mode: modeSucceed, wantSent: 30},
		{strategy: ShutdownStrategyImmediate, mode: modeFail, wantErr: "shutdown: 30 items dropped: strategy immediate drops queued data", wantCause: errImmediate},
		{strategy: ShutdownStrategyImmediate, mode: modeHang, wantErr: "shutdown: 30 items dropped: strategy immediate drops queued data", wantCause: errImmediate},
		{strategy: ShutdownStrategyFlush, mode: modeSucceed, wantSent: 30},
		{strategy: ShutdownStrategyFlush, mode: modeFail, ctxTimeout: 3 * time.Second, wantTook: 3 * time.Second, wantErr: "shutdown: 30 items dropped: context deadline exceeded", wantCause: context.DeadlineExceeded},
		{strategy: ShutdownStrategyFlush, mode: modeHang, ctxTimeout: 3 * time.Second, wantTook: 3 * time.Second, wantErr: "shutdown: 30 items dropped: context deadline exceeded", wantCause: context.DeadlineExceeded},
		{strategy: ShutdownStrategyGraceful, mode: modeSucceed, wantSent: 30},
		{strategy: ShutdownStrategyGraceful, mode: modeFail, wantTook: 2 * time.Second, wantErr: "shutdown: 30 items dropped: shutdown.timeout passed", wantCause: errShutdownTimeout},
		{strategy: ShutdownStrategyGraceful, mode: modeHang, wantTook: 2 * time.Second, wantErr: "shutdown: 30 items dropped: shutdown.timeout passed", wantCause: errShutdownTimeout},
		{strategy: ShutdownStrategyGraceful, mode: modeHang, ctxTimeout: time.Second, wantTook: time.Second, wantErr: "shutdown: 30 items dropped: context deadline exceeded", wantCause: context.DeadlineExceeded},
	}
	names := map[mode]string{modeSucceed: "healthy", modeFail: "dead", modeHang: "hanging"}
	for _, tt := range tests {
		name := "strategy=" + string(tt.strategy) + "/downstream=" + names[tt.mode] + "/ctx=" + tt.ctxTimeout.String()
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, took, err := shutdownCase(t, tt.strategy, tt.mode, tt.ctxTimeout)
				assert.Equal(t, tt.wantTook, took, "fake time Shutdown took")
				assert.Equal(t, tt.wantSent, h.down.items.Load())
				if tt.wantErr == "" {
					require.NoError(t, err)
					assert.Zero(t, h.logs.FilterMessage("Items dropped at shutdown").Len())
				} else {
					require.EqualError(t, err, tt.wantErr)
					require.ErrorIs(t, err, tt.wantCause)
					lines := h.logs.FilterMessage("Items dropped at shutdown")
					require.Equal(t, 1, lines.Len(), "one log line")
					entry := lines.All()[0]
					assert.Equal(t, zapcore.ErrorLevel, entry.Level)
					assert.Equal(t, 30-tt.wantSent, entry.ContextMap()["dropped_shutdown"])
				}
				assert.Equal(t, 30-tt.wantSent, h.dropped("shutdown"))
				a := h.requireBalanced()
				assert.Zero(t, a.queued)
				require.ErrorIs(t, h.send(1), errShutDown, "ConsumeLogs after Shutdown")
			})
		})
	}
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
	require.EqualError(t, h.p.Shutdown(context.Background()), "shutdown: 4 items dropped: processor was never started")
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
	err := h.p.Shutdown(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualError(t, err, "shutdown: 4 items dropped: context canceled")
	h.requireBalanced()
}

// TestShutdownReportsDropsWhileDraining: batches that fail for good while a
// flush drains are dropped during Shutdown too, so Shutdown says so.
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
		require.EqualError(t, <-result, "shutdown: 4 items dropped: delivery failed for good while draining (permanent_error=4)")
		assert.Equal(t, int64(4), h.dropped("permanent_error"))
		assert.Equal(t, 1, h.logs.FilterMessage("Items dropped at shutdown").FilterLevelExact(zapcore.ErrorLevel).Len())
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
