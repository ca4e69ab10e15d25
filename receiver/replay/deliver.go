package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/resilientsink/resilientsink/internal/deadletter"
)

// Retry delays for retryable pipeline errors without a delay of their own.
const (
	retryInitial = 100 * time.Millisecond
	retryMax     = 30 * time.Second
	throttleMax  = 5 * time.Minute // a longer RetryInfo delay is capped
)

// deliver decodes one record and hands it to the pipeline until the
// pipeline accepts it or refuses it permanently, then moves the source's
// position past it (advance) and saves the checkpoint. A retryable error
// waits and sends the same record again (decoded afresh: the pipeline may
// have changed the first copy). It returns false when ctx ended first: the
// record stays unreplayed.
func (u *run) deliver(ctx context.Context, s source, rec []byte, json bool, l *deadletter.Letter, advance func()) bool {
	u.lastItems = 0
	b, err := u.decode(rec, json, l)
	if err != nil {
		u.r.logger.Warn("Record does not decode, skipped", zap.String("path", s.path), zap.Error(err))
		advance()
		u.save()
		return true
	}
	if b.items == 0 {
		advance()
		return true
	}
	if u.pace.wait(ctx, b.items) != nil {
		return false
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if b, err = u.decode(rec, json, l); err != nil {
				return false // decoded once: cannot happen
			}
		}
		err = b.send(ctx)
		if err == nil {
			u.r.tel.ReceiverReplayItems.Add(ctx, int64(b.items), u.r.attrs)
			break
		}
		if consumererror.IsPermanent(err) {
			u.r.tel.ReceiverReplayFailedItems.Add(ctx, int64(b.items), u.r.attrs)
			u.r.logger.Warn("The pipeline refused a batch permanently; skipped",
				zap.String("path", s.path), zap.Int("items", b.items), zap.Error(err))
			break
		}
		delay := retryDelay(attempt, err)
		if attempt == 0 || delay >= retryMax {
			u.r.logger.Info("The pipeline refused a batch; retrying the same batch",
				zap.String("path", s.path), zap.Int("attempt", attempt+1), zap.Duration("delay", delay), zap.Error(err))
		}
		if !sleep(ctx, delay) {
			return false
		}
	}
	advance()
	u.save()
	u.lastItems = b.items
	u.r.remainingItems.Store(max(u.r.remainingItems.Load()-int64(b.items), 0))
	u.r.remainingBytes.Store(max(u.r.remainingBytes.Load()-int64(len(rec)), 0))
	u.prog.add(time.Now(), b.items, u.r.remainingItems.Load())
	return true
}

// decode decodes rec; a dead letter gets its attributes if configured.
func (u *run) decode(rec []byte, json bool, l *deadletter.Letter) (batch, error) {
	b, err := u.r.codec.decode(rec, json)
	if err == nil && l != nil && u.r.cfg.DeadLetterAttributes {
		annotate(b, l.Reason, l.Error)
	}
	return b, err
}

// retryDelay is the wait before attempt+2: a throttle's own delay (a gRPC
// status with RetryInfo, as resilientsink and OTLP backends send), else an
// exponential backoff.
func retryDelay(attempt int, err error) time.Duration {
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				return min(max(ri.GetRetryDelay().AsDuration(), 0), throttleMax)
			}
		}
	}
	d := retryInitial << min(attempt, 16)
	return min(d, retryMax)
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pacer spreads batches so that items flow at rate per second on average:
// a batch of n items takes n/rate seconds of the schedule, and waits for
// its slot. No credit builds up while idle. rate 0 never waits.
type pacer struct {
	rate float64
	next time.Time
}

func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	wait := p.next.Sub(now)
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	if wait > 0 && !sleep(ctx, wait) {
		return ctx.Err()
	}
	return ctx.Err()
}
