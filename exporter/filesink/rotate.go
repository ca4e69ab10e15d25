package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// backupTimeLayout is the timestamp in backup names; it sorts as text.
const backupTimeLayout = "2006-01-02T15-04-05.000"

const megabyte = 1 << 20

// needsRotationLocked reports whether a record of n bytes must go to a new
// file: the active file (with its buffer) is not empty and would pass
// max_megabytes with it, or is older than max_age. Callers hold mu.
func (w *writer) needsRotationLocked(n int) bool {
	r := w.set.rotation
	if r == nil {
		return false
	}
	logical := w.size + int64(len(w.buf))
	if logical == 0 {
		return false // a record larger than the limit gets a file of its own
	}
	if r.MaxMegabytes > 0 && logical+int64(n) > int64(r.MaxMegabytes)*megabyte {
		return true
	}
	return r.MaxAge > 0 && w.fs.now().Sub(w.openedAt) >= r.MaxAge
}

// rotateLocked renames the active file to a backup and opens a new active
// file. It also runs without a rotation block, after a failed fsync. The
// buffer must be empty. On failure the old file stays active. Callers hold mu.
func (w *writer) rotateLocked(ctx context.Context, obs *observer) error {
	if w.dirty {
		if err := w.f.Truncate(w.size); err != nil {
			obs.writeError(ctx)
			return fmt.Errorf("cut back %q before rotation: %w", w.set.path, err)
		}
		w.dirty = false
	}
	if w.set.durability == DurabilitySynced {
		// Writes counted before the switch must be on disk: the next fsync round syncs the new file only.
		start := time.Now()
		err := w.f.Sync()
		obs.fsyncDuration(ctx, time.Since(start))
		if err != nil {
			// The writes it covers fail (and are retried); the rotation goes
			// on, since this file's state is now unknown.
			obs.writeError(ctx)
			w.gc.mu.Lock()
			w.gc.fail(w.seq.Load(), fmt.Errorf("fsync %q before rotation: %w", w.set.path, err))
			w.gc.mu.Unlock()
		}
	}
	now := w.fs.now()
	backup, err := w.backupName(now)
	if err != nil {
		obs.writeError(ctx)
		return err
	}
	if rerr := w.fs.rename(w.set.path, backup); rerr != nil {
		obs.writeError(ctx)
		return fmt.Errorf("rotate %q: %w", w.set.path, rerr)
	}
	nf, err := w.openActive()
	if err != nil {
		obs.writeError(ctx)
		if rerr := os.Rename(backup, w.set.path); rerr != nil {
			return fmt.Errorf("rotate: %w (restoring the active file from %q failed: %w)", err, backup, rerr)
		}
		return fmt.Errorf("rotate: %w", err)
	}
	w.fileMu.Lock()
	old := w.f
	w.f = nf
	w.fileMu.Unlock()
	_ = old.Close() // written and, if synced, fsynced already; the backup is complete
	w.size = 0
	w.openedAt = now
	w.fsyncFailed.Store(false)
	obs.rotated(ctx)
	w.backups.kick()
	return nil
}

// backupName returns an unused name for a backup made at t, such as
// logs-2026-11-26T22-30-00.000.jsonl beside logs.jsonl. The compressed
// form appends .gz or .zst.
func (w *writer) backupName(t time.Time) (string, error) {
	if w.set.rotation == nil || !w.set.rotation.LocalTime {
		t = t.UTC()
	}
	dir, stem, ext := splitPath(w.set.path)
	ts := t.Format(backupTimeLayout)
	for i := range 1000 {
		name := stem + "-" + ts + ext
		if i > 0 {
			name = stem + "-" + ts + "-" + strconv.Itoa(i) + ext
		}
		p := filepath.Join(dir, name)
		if !exists(p) && !exists(p+".gz") && !exists(p+".zst") {
			return p, nil
		}
	}
	return "", fmt.Errorf("rotate %q: no free backup name for %s", w.set.path, ts)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, os.ErrNotExist)
}

// splitPath splits /d/logs.jsonl into /d, logs and .jsonl.
func splitPath(p string) (dir, stem, ext string) {
	dir, base := filepath.Split(p)
	ext = filepath.Ext(base)
	return filepath.Clean(dir), strings.TrimSuffix(base, ext), ext
}

// backupFile is a rotated file found beside the active one.
type backupFile struct {
	path       string
	name       string // file name without the compression suffix
	stamp      string // timestamp and counter, sortable
	compressed bool
	size       int64
}

// parseBackup recognizes stem-<timestamp>[-N]ext[.gz|.zst]. Temporary files
// of an interrupted compression end in .tmp and are not backups.
func parseBackup(name, stem, ext string) (b backupFile, ok bool) {
	base := name
	for _, suf := range []string{".gz", ".zst"} {
		if strings.HasSuffix(base, ext+suf) {
			base = strings.TrimSuffix(base, suf)
			b.compressed = true
			break
		}
	}
	if !strings.HasPrefix(base, stem+"-") || !strings.HasSuffix(base, ext) {
		return b, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(base, stem+"-"), ext)
	if len(mid) < len(backupTimeLayout) {
		return b, false
	}
	if _, err := time.Parse(backupTimeLayout, mid[:len(backupTimeLayout)]); err != nil {
		return b, false
	}
	counter := 0
	if rest := mid[len(backupTimeLayout):]; rest != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(rest, "-"))
		if err != nil || !strings.HasPrefix(rest, "-") || n <= 0 {
			return b, false
		}
		counter = n
	}
	b.name = base
	b.stamp = fmt.Sprintf("%s-%06d", mid[:len(backupTimeLayout)], counter)
	return b, true
}
