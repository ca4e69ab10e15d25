package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"context"
	"errors"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/deadletter"
	"github.com/resilientsink/resilientsink/internal/otlpfile"
	"github.com/resilientsink/resilientsink/internal/spool"
)

// run is the state of the replay goroutine; only that goroutine touches it.
type run struct {
	r      *replayReceiver
	cf     *checkpointFile
	cp     *checkpoint
	pace   pacer
	prog   progressLog
	failed map[string]bool // sources that do not decode, reported once
	warned map[string]bool // other one-time warnings, by source
	// lastItems is the item count of the last record deliver handled;
	// fileItems and fileDiskBytes sum the items and the bytes on disk
	// replayed from files, for the estimate of the items left in files.
	lastItems     int
	fileItems     int64
	fileDiskBytes int64
}

func newRun(r *replayReceiver, cf *checkpointFile, cp *checkpoint) *run {
	return &run{
		r: r, cf: cf, cp: cp, pace: pacer{rate: r.cfg.RateLimit},
		prog:   progressLog{logger: r.logger, every: progressEvery},
		failed: map[string]bool{}, warned: map[string]bool{},
	}
}

// loop replays every source, then, with poll_interval, looks again.
func (u *run) loop(ctx context.Context) {
	first := true
	for {
		srcs, errs := discover(u.r.cfg.Include, u.r.cfg.Checkpoint)
		if first {
			for _, err := range errs {
				u.r.logger.Warn("Cannot read an include entry", zap.Error(err))
			}
			u.r.logger.Info("Replay started", zap.Int("sources", len(srcs)), zap.Float64("rate_limit", u.r.cfg.RateLimit))
		}
		u.measure(srcs)
		u.prog.start(time.Now(), u.r.remainingItems.Load())
		for _, s := range srcs {
			u.replay(ctx, s)
			if ctx.Err() != nil {
				return
			}
		}
		u.measure(srcs)
		if first {
			u.prog.finished(time.Now(), len(srcs))
		}
		first = false
		if u.r.cfg.PollInterval <= 0 {
			<-ctx.Done()
			return
		}
		t := time.NewTimer(u.r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// replay replays one source from its checkpoint.
func (u *run) replay(ctx context.Context, s source) {
	p := u.cp.Sources[s.path]
	if p == nil {
		p = &progress{}
		u.cp.Sources[s.path] = p
	}
	if p.Done || u.failed[s.path] {
		return
	}
	if s.kind == kindDeadLetters {
		u.replayFolder(ctx, s, p)
		return
	}
	u.replayFile(ctx, s, p)
}

func (u *run) replayFile(ctx context.Context, s source, p *progress) {
	rd, err := otlpfile.Open(s.path)
	if err == nil && p.Offset > 0 {
		err = rd.Skip(p.Offset)
	}
	if err != nil {
		u.skipSource(s, p, err)
		if rd != nil {
			_ = rd.Close()
		}
		return
	}
	defer rd.Close()
	disk := func() int64 {
		if rd.Compression() == otlpfile.CompressionNone {
			return rd.Offset()
		}
		return rd.SourceBytes()
	}
	for {
		before := disk()
		rec, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			if u.r.cfg.PollInterval > 0 && rd.Compression() == otlpfile.CompressionNone {
				return // it may grow
			}
			if rd.Pending() > 0 {
				u.r.logger.Warn("Source ends in an incomplete record, left out",
					zap.String("path", s.path), zap.Int64("offset", rd.Offset()), zap.Int("bytes", rd.Pending()))
			}
			u.done(s, p)
			return
		case err != nil:
			u.skipSource(s, p, err)
			return
		}
		json := rd.Format() == otlpfile.FormatJSON
		if !u.deliver(ctx, s, rec, json, nil, func() { p.Offset = rd.Offset() }) {
			return
		}
		u.fileItems += int64(u.lastItems)
		u.fileDiskBytes += disk() - before
	}
}

func (u *run) replayFolder(ctx context.Context, s source, p *progress) {
	u.checkRenumbered(s, p)
	rd := deadletter.NewReader(s.path, deadletter.Position{Segment: p.Segment, Offset: p.Offset})
	rd.OnProblem = func(pr spool.Problem) {
		u.r.logger.Warn("Skipped a damaged dead letter", zap.String("path", s.path), zap.String("problem", pr.String()))
	}
	defer rd.Close()
	advance := func() { pos := rd.Position(); p.Segment, p.Offset = pos.Segment, pos.Offset }
	for {
		l, ok, err := rd.Next()
		if err != nil {
			u.r.logger.Warn("Cannot read the dead-letter folder; trying again at the next pass", zap.String("path", s.path), zap.Error(err))
			return
		}
		if !ok {
			u.checkFolder(s)
			if u.r.cfg.OnDone == OnDoneDelete {
				u.deleteReplayed(s, p)
			}
			return
		}
		if l.Signal != "" && l.Signal != u.r.codec.signal {
			u.warnOnce(s.path+"/signal", "Skipped dead letters of another signal: give that signal its own replay pipeline",
				zap.String("path", s.path), zap.String("found", l.Signal), zap.String("signal", u.r.codec.signal))
			advance()
			p.Filtered = true
			continue
		}
		if u.r.reasons != nil && !u.r.reasons[l.Reason] {
			advance()
			p.Filtered = true
			continue
		}
		if !u.deliver(ctx, s, l.Payload, false, &l, advance) {
			return
		}
	}
}

// skipSource reports a source that does not decode; it is left out for the
// life of the process, with its checkpoint kept.
func (u *run) skipSource(s source, p *progress, err error) {
	u.failed[s.path] = true
	u.r.logger.Warn("Source does not decode, skipped", zap.String("path", s.path), zap.Int64("offset", p.Offset), zap.Error(err))
}

func (u *run) warnOnce(key, msg string, fields ...zap.Field) {
	if !u.warned[key] {
		u.warned[key] = true
		u.r.logger.Warn(msg, fields...)
	}
}

// save writes the checkpoint; a failure is logged and retried at the next
// batch (a restart then repeats more batches, never fewer).
func (u *run) save() {
	if err := u.cf.save(u.cp); err != nil {
		u.warnOnce("checkpoint", "Cannot write the checkpoint; a restart would repeat batches", zap.Error(err))
	}
}
