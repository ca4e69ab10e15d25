// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/deadletter"
	"github.com/resilientsink/resilientsink/internal/spool"
)

// deadLetters keeps the batches given up on for the configured reasons in
// the instance's dead-letter folder, with why, instead of dropping them.
type deadLetters struct {
	w      *deadletter.Writer
	keep   [numReasons]bool
	dir    string
	logger *zap.Logger
	warn   sometimes
}

// openDeadLetters opens (creates) and locks the instance's dead-letter folder.
func openDeadLetters(cfg DeadLetterConfig, dir string, logger *zap.Logger) (*deadLetters, error) {
	limit := int64(cfg.MaxMegabytes) << 20
	w, err := deadletter.Open(deadletter.Settings{
		Dir:      dir,
		MaxBytes: limit,
		Sync:     cfg.Sync,
		// Segments of 1/8 of the budget (at most 8 MiB), as the disk
		// tier's: a replay frees the budget a whole segment at a time, and
		// may not delete the segment the processor writes to.
		SegmentBytes: segmentBytes(limit),
		OnProblem: func(p spool.Problem) {
			logger.Warn("Damaged dead-letter file: skipped", zap.String("problem", p.String()))
		},
	})
	if errors.Is(err, spool.ErrLocked) {
		return nil, fmt.Errorf("dead_letter.directory: folder %s is in use by another resilientsink instance (same processor ID and signal, or another collector): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("dead_letter.directory: open folder %s: %w", dir, err)
	}
	d := &deadLetters{w: w, dir: dir, logger: logger}
	for _, name := range cfg.Reasons {
		for _, r := range deadLetterReasons {
			if r.String() == name {
				d.keep[r] = true
			}
		}
	}
	return d, nil
}

// keeps reports whether batches dropped for r are kept.
func (d *deadLetters) keeps(r dropReason) bool { return d != nil && d.keep[r] }

// write keeps one letter; an error (a full or failing folder) is logged at
// most every dropWarnInterval, and the caller drops the batch as usual.
func (d *deadLetters) write(l deadletter.Letter) bool {
	err := d.w.Write(l)
	if err == nil {
		return true
	}
	if d.warn.allow(time.Now(), dropWarnInterval) {
		d.logger.Warn("Could not keep a dead letter: dropped instead (logged at most every 10s)",
			zap.String("reason", l.Reason), zap.Int("items", l.Items), zap.String("folder", d.dir), zap.Error(err))
	}
	return false
}

// stats returns the folder's bytes and budget, for the gauges.
func (d *deadLetters) stats() (bytes, limit int64) {
	if d == nil {
		return 0, 0
	}
	st := d.w.Stats()
	return st.Bytes, st.LimitBytes
}

// dropData ends a batch given up on with reason r, whose data is still valid:
// kept as a dead letter where configured, else counted dropped.
func (q *tieredQueue[T]) dropData(b *batch[T], r dropReason, errText string) {
	if d := q.dead.Load(); d.keeps(r) {
		payload, err := q.sig.marshal(b.data)
		if err == nil && d.write(deadletter.Letter{
			Signal: q.sig.name, Reason: r.String(), Error: errText,
			Arrived: b.arrived, Dropped: time.Now(), Attempts: b.attempts, Items: b.items, Payload: payload,
		}) {
			q.events.deadLettered(int64(b.items), r)
			return
		}
	}
	q.events.dropped(int64(b.items), r)
}

// dropFrame is dropData for a frame evicted from disk before it was read
// back: its payload is the OTLP request already.
func (q *tieredQueue[T]) dropFrame(payload []byte, items int64, arrived time.Time, r dropReason) {
	if d := q.dead.Load(); d.keeps(r) && d.write(deadletter.Letter{
		Signal: q.sig.name, Reason: r.String(), Arrived: arrived, Dropped: time.Now(), Items: int(items), Payload: payload,
	}) {
		q.events.deadLettered(items, r)
		return
	}
	q.events.dropped(items, r)
}
