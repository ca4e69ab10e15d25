package replay

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadatatest"
)

// timedRecorder records when each call came.
type timedRecorder struct {
	recorder
	tmu   sync.Mutex
	times []time.Time
}

func newTimed(fn func(ctx context.Context, call int, ld plog.Logs) error) *timedRecorder {
	tr := &timedRecorder{}
	tr.fn = func(ctx context.Context, call int, ld plog.Logs) error {
		tr.tmu.Lock()
		tr.times = append(tr.times, time.Now())
		tr.tmu.Unlock()
		if fn == nil {
			return nil
		}
		return fn(ctx, call, ld)
	}
	return tr
}

func (tr *timedRecorder) gaps() []time.Duration {
	tr.tmu.Lock()
	defer tr.tmu.Unlock()
	var out []time.Duration
	for i := 1; i < len(tr.times); i++ {
		out = append(out, tr.times[i].Sub(tr.times[i-1]))
	}
	return out
}

func throttle(d time.Duration) error {
	st, _ := status.New(codes.ResourceExhausted, "queue full").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	return st.Err()
}

// A downstream that fails retryably, then throttles, then recovers: the
// same batch is sent again after a growing backoff, and after the
// throttle's own delay; nothing is skipped.
func TestRetryableFailureThenRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "logs.pb"), "proto", "", batches(0, 3, 2))
		tr := newTimed(func(_ context.Context, call int, _ plog.Logs) error {
			switch call {
			case 1, 2, 3:
				return errors.New("backend unavailable")
			case 4:
				return throttle(7 * time.Second)
			}
			return nil
		})
		r := start(t, testConfig(t, filepath.Join(dir, "logs.pb")), tr, nil)
		<-tr.reached(7)
		synctest.Wait()
		b := wantBytes(t, batches(0, 3, 2))
		assert.Equal(t, [][]byte{b[0], b[1], b[1], b[1], b[1], b[1], b[2]}, tr.calls())
		assert.Equal(t, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 7 * time.Second, 0}, tr.gaps())
		require.NoError(t, r.Shutdown(context.Background()))
	})
}

// rate_limit paces items: 50-item batches at 100 items/s are 500 ms apart.
func TestRateLimitPaces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "logs.json"), "json", "", batches(0, 6, 50))
		cfg := testConfig(t, filepath.Join(dir, "logs.json"))
		cfg.RateLimit = 100
		tr := newTimed(nil)
		began := time.Now()
		r := start(t, cfg, tr, nil)
		<-tr.reached(6)
		synctest.Wait()
		require.Len(t, tr.calls(), 6)
		for i, g := range tr.gaps() {
			assert.Equal(t, 500*time.Millisecond, g, "gap %d", i)
		}
		assert.Equal(t, 2500*time.Millisecond, time.Since(began))
		require.NoError(t, r.Shutdown(context.Background()))
	})
}

// A long replay logs percent done, rate and time left every 10 s, and the
// remaining gauges count down to 0.
func TestProgressLogAndGauges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "dead")
		writeLetters(t, dir, batches(0, 30, 10), "expired")
		cfg := testConfig(t, dir)
		cfg.RateLimit = 10 // 1 batch a second: 30 s
		core, logs := observer.New(zap.InfoLevel)
		tel := componenttest.NewTelemetry()
		set := metadatatest.NewSettings(tel)
		set.Logger = zap.New(core)
		rec := &recorder{}
		r, err := NewFactory().CreateLogs(context.Background(), set, cfg, rec)
		require.NoError(t, err)
		require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
		<-rec.reached(30)
		synctest.Wait()
		lines := logs.FilterMessage("Replay progress").All()
		require.Len(t, lines, 2, "at 10 s and 20 s of a 29 s replay")
		first := lines[0].ContextMap()
		assert.InDelta(t, 36.7, first["percent_done"], 0.01) // 11 of 30 batches sent by t=10s
		assert.InDelta(t, 10.0, first["items_per_second"], 1.01)
		assert.Equal(t, 19*time.Second, first["time_left"])
		require.Len(t, logs.FilterMessage("Replay finished").All(), 1)
		assert.Equal(t, int64(300), sumOf(t, tel, "otelcol_receiver_replay_items"))
		assert.Equal(t, int64(0), gaugeOf(t, tel, "otelcol_receiver_replay_remaining_items"))
		assert.Equal(t, int64(0), gaugeOf(t, tel, "otelcol_receiver_replay_remaining_bytes"))
		require.NoError(t, r.Shutdown(context.Background()))
	})
}
