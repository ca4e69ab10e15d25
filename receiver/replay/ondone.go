package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/deadletter"
	"github.com/resilientsink/resilientsink/internal/otlpfile"
	"github.com/resilientsink/resilientsink/internal/spool"
)

// done marks a file fully replayed and applies on_done.
func (u *run) done(s source, p *progress) {
	p.Done = true
	u.save()
	if u.r.cfg.OnDone != OnDoneDelete {
		return
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.r.logger.Warn("Cannot delete a replayed source", zap.String("path", s.path), zap.Error(err))
		return
	}
	delete(u.cp.Sources, s.path)
	u.save()
}

// checkRenumbered starts a folder over when its segment numbers are all
// below the checkpoint's: numbers only grow while segment files exist, so
// the folder was emptied (by hand, or by another replay) and a writer
// started again from 1. Without this, its new letters would never be read.
func (u *run) checkRenumbered(s source, p *progress) {
	nums, err := spool.SegmentNumbers(nil, s.path)
	if err != nil || len(nums) == 0 || nums[len(nums)-1] >= p.Segment {
		return
	}
	u.r.logger.Warn("The dead-letter folder was emptied and written again since the checkpoint; replaying it from the start",
		zap.String("path", s.path), zap.Uint32("checkpoint_segment", p.Segment), zap.Uint32("newest_segment", nums[len(nums)-1]))
	p.Segment, p.Offset = 0, 0
}

// checkFolder warns once about a folder that is no dead-letter folder
// (no segment file, no LOCK): most likely include names its parent.
func (u *run) checkFolder(s source) {
	nums, err := spool.SegmentNumbers(nil, s.path)
	if err != nil || len(nums) > 0 {
		return
	}
	if _, err := os.Stat(filepath.Join(s.path, "LOCK")); err == nil {
		return
	}
	u.warnOnce(s.path+"/empty", "The folder holds no dead letters (no segment file, no LOCK): include names a dead-letter folder itself, or a glob of them (dead/*)",
		zap.String("path", s.path))
}

// deleteReplayed deletes the segment files of a dead-letter folder that
// were fully replayed, unless letters in it were passed over (reasons, or
// another signal): those are not this receiver's to delete. The newest segment is deleted only when no writer
// holds the folder (its lock is free): a running processor appends to it.
// Once every segment is gone, the position goes back to the start, since a
// writer opening the empty folder numbers its segments from 1 again.
func (u *run) deleteReplayed(s source, p *progress) {
	if p.Filtered {
		u.warnOnce(s.path+"/filtered", "Kept the dead-letter folder despite on_done: delete: it holds letters this receiver passes over (other reasons or another signal)",
			zap.String("path", s.path))
		return
	}
	nums, err := spool.SegmentNumbers(nil, s.path)
	if err != nil || len(nums) == 0 {
		return
	}
	var errs []error
	left := len(nums)
	for i, num := range nums {
		if num > p.Segment {
			break
		}
		seg := filepath.Join(s.path, fmt.Sprintf("%010d.seg", num))
		if num == p.Segment {
			fi, err := os.Stat(seg)
			if err != nil || fi.Size() > p.Offset || i != len(nums)-1 {
				break
			}
			lock, err := spool.OSFS{}.Lock(filepath.Join(s.path, "LOCK"))
			if err != nil {
				break // a writer holds it
			}
			defer lock.Close()
		}
		if err := removeSegment(seg); err != nil {
			errs = append(errs, err)
			break
		}
		left--
	}
	if err := errors.Join(errs...); err != nil {
		u.r.logger.Warn("Cannot delete replayed dead letters", zap.String("path", s.path), zap.Error(err))
	}
	if left == 0 {
		p.Segment, p.Offset = 0, 0
		u.save()
	}
}

func removeSegment(seg string) error {
	ack := seg[:len(seg)-len(".seg")] + ".ack"
	if err := os.Remove(ack); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(seg); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// measure sets the remaining gauges from the sources' checkpoints: exact
// for dead letters (frame headers); for files, the bytes left on disk and
// items estimated at the items per byte of what was replayed so far.
func (u *run) measure(srcs []source) {
	var items, bytes, fileBytes int64
	for _, s := range srcs {
		p := u.cp.Sources[s.path]
		if p == nil {
			p = &progress{}
		}
		if p.Done || u.failed[s.path] {
			continue
		}
		if s.kind == kindDeadLetters {
			_, i, b, err := deadletter.NewReader(s.path, deadletter.Position{Segment: p.Segment, Offset: p.Offset}).Remaining()
			if err == nil {
				items, bytes = items+i, bytes+b
			}
			continue
		}
		fi, err := os.Stat(s.path)
		if err != nil {
			continue
		}
		left := fi.Size()
		if p.Offset > 0 && isPlain(s.path) {
			left = max(left-p.Offset, 0)
		}
		fileBytes += left
	}
	if u.fileItems > 0 && u.fileDiskBytes > 0 {
		items += int64(float64(fileBytes) * float64(u.fileItems) / float64(u.fileDiskBytes))
	}
	u.r.remainingItems.Store(items)
	u.r.remainingBytes.Store(bytes + fileBytes)
}

// isPlain reports whether the file at path is not compressed.
func isPlain(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	var head [4]byte
	n, _ := f.ReadAt(head[:], 0)
	return otlpfile.DetectCompression(head[:n]) == otlpfile.CompressionNone
}
