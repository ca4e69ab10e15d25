package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/gofrs/flock"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

// replayReceiver replays the configured sources into one signal's pipeline.
// Start launches one goroutine that does all the work (reading, sending,
// checkpointing), so the checkpoint needs no lock.
type replayReceiver struct {
	cfg     *Config
	id      string
	logger  *zap.Logger
	codec   codec
	tel     *metadata.TelemetryBuilder
	attrs   metric.MeasurementOption
	reasons map[string]bool

	mu      sync.Mutex // guards the lifecycle fields below
	started bool
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
	lock    *flock.Flock

	remainingItems atomic.Int64
	remainingBytes atomic.Int64
}

func newReceiver(set receiver.Settings, cfg *Config, c codec) (*replayReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	r := &replayReceiver{
		cfg: cfg, id: set.ID.String(), logger: set.Logger, codec: c, tel: tel,
		attrs: metric.WithAttributeSet(attribute.NewSet(
			attribute.String("receiver", set.ID.String()), attribute.String("signal", c.signal))),
	}
	if len(cfg.Reasons) > 0 {
		r.reasons = map[string]bool{}
		for _, reason := range cfg.Reasons {
			r.reasons[reason] = true
		}
	}
	return r, nil
}

// Start takes the checkpoint's lock, loads it and starts replaying in the
// background; it does not wait for the replay.
func (r *replayReceiver) Start(_ context.Context, _ component.Host) error { //nolint:contextcheck // the replay outlives Start's ctx (collector contract); Shutdown cancels it
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(r.cfg.Checkpoint), 0o750); err != nil {
		return fmt.Errorf("create the checkpoint's folder: %w", err)
	}
	lock := flock.New(r.cfg.Checkpoint + ".lock")
	ok, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("lock checkpoint %q: %w", r.cfg.Checkpoint, err)
	}
	if !ok {
		return fmt.Errorf("checkpoint %q is in use by another replay receiver (in this process or another): give each replay receiver, and each signal, its own checkpoint", r.cfg.Checkpoint)
	}
	cf, cp, err := openCheckpoint(r.cfg.Checkpoint, r.codec.signal)
	if err == nil {
		err = errors.Join(
			r.tel.RegisterReceiverReplayRemainingItemsCallback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(r.remainingItems.Load(), r.attrs)
				return nil
			}),
			r.tel.RegisterReceiverReplayRemainingBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(r.remainingBytes.Load(), r.attrs)
				return nil
			}))
	}
	if err != nil {
		if cf != nil {
			_ = cf.close()
		}
		_ = lock.Unlock()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The counters exist from here, at 0, so that a rate() counts the first batch.
	r.tel.ReceiverReplayItems.Add(ctx, 0, r.attrs)
	r.tel.ReceiverReplayFailedItems.Add(ctx, 0, r.attrs)
	r.lock, r.cancel, r.done, r.started = lock, cancel, make(chan struct{}), true
	run := newRun(r, cf, cp)
	go func() {
		defer close(r.done)
		defer cf.close()
		run.loop(ctx)
	}()
	return nil
}

// Shutdown stops the replay and waits, at most until ctx ends, for the batch
// in flight: if the pipeline has not accepted it by then, a restart sends it
// again. It is safe before Start and twice.
func (r *replayReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil
	}
	r.stopped = true
	var err error
	if r.started {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			// Not an error: the batch in flight is sent again after a
			// restart, and an error would turn a reload into an outage.
			r.logger.Warn("Shutdown left the batch in flight to the pipeline; a restart sends it again", zap.Error(ctx.Err()))
		}
		if uerr := r.lock.Unlock(); uerr != nil {
			err = fmt.Errorf("unlock checkpoint %q: %w", r.cfg.Checkpoint, uerr)
		}
	}
	r.tel.Shutdown()
	return err
}
