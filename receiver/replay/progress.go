package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"time"

	"go.uber.org/zap"
)

// progressEvery is how often a long replay logs its progress.
const progressEvery = 10 * time.Second

// progressLog writes the info line a person follows on a long replay:
// percent done, rate and time left, every progressEvery.
type progressLog struct {
	logger *zap.Logger
	every  time.Duration

	begin    time.Time
	total    int64 // items done + remaining at the start of the pass
	done     int64 // items replayed in the pass
	lastAt   time.Time
	lastDone int64
}

// start begins a pass with remaining items to go.
func (p *progressLog) start(now time.Time, remaining int64) {
	p.begin, p.lastAt = now, now
	p.total, p.done, p.lastDone = remaining, 0, 0
}

// add counts items replayed at now and logs if a period has passed.
func (p *progressLog) add(now time.Time, items int, remaining int64) {
	first := p.done == 0
	p.done += int64(items)
	if first { // the rate is measured from the first batch on
		p.lastAt, p.lastDone = now, p.done
		return
	}
	if now.Sub(p.lastAt) < p.every {
		return
	}
	rate := float64(p.done-p.lastDone) / now.Sub(p.lastAt).Seconds()
	total := p.done + remaining
	pct := 100.0
	if total > 0 {
		pct = float64(p.done) * 100 / float64(total)
	}
	left := time.Duration(0)
	if rate > 0 {
		left = time.Duration(float64(remaining) / rate * float64(time.Second)).Round(time.Second)
	}
	p.logger.Info("Replay progress",
		zap.Float64("percent_done", round1(pct)),
		zap.Int64("items", p.done), zap.Int64("remaining_items", remaining),
		zap.Float64("items_per_second", round1(rate)),
		zap.Duration("time_left", left))
	p.lastAt, p.lastDone = now, p.done
}

// finished logs the end of the first pass.
func (p *progressLog) finished(now time.Time, sources int) {
	d := now.Sub(p.begin)
	rate := 0.0
	if d > 0 {
		rate = float64(p.done) / d.Seconds()
	}
	p.logger.Info("Replay finished",
		zap.Int("sources", sources), zap.Int64("items", p.done),
		zap.Duration("duration", d.Round(time.Millisecond)), zap.Float64("items_per_second", round1(rate)))
}

// round1 rounds to one decimal, for log fields a person reads.
func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
