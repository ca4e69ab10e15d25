package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/otlpfile"
)

// maxTailChecks bounds how many trailing records start-up checks.
const maxTailChecks = 64

// repairAction is what start-up does with the end of an existing file.
type repairAction int

const (
	// repairNone: the file ends on a whole, well-formed record.
	repairNone repairAction = iota
	// repairCut: the bytes from keep on are one torn record (a write cut
	// short by a crash) or zeros (a power loss): they are cut.
	repairCut
	// repairComplete: the last json line is whole and valid but lacks its
	// newline, which is appended.
	repairComplete
	// repairMoveAside: the bytes from keep on follow a corrupt record and may
	// hold whole records: they are moved to <path>.corrupt-<time>.
	repairMoveAside
)

// repairPlan says what start-up does with a file: keep its first keep bytes
// and apply action to the rest.
type repairPlan struct {
	action repairAction
	keep   int64
}

// planRepair decides what to do with the end of a file of size bytes in
// format. It only reads.
func planRepair(f io.ReaderAt, size int64, format Format) (repairPlan, error) {
	if size == 0 {
		return repairPlan{}, nil
	}
	if format == FormatProto {
		return planProto(f, size)
	}
	return planJSON(f, size)
}

// checkFormat fails when the file holds records of another format, or
// records of neither: start-up never rewrites a file it does not understand.
func (w *writer) checkFormat(f file, size int64) error {
	head := make([]byte, min(size, otlpfile.DetectHeadBytes))
	if err := readFull(f, head, 0); err != nil {
		return fmt.Errorf("read start of %q: %w", w.set.path, err)
	}
	found, ok := otlpfile.DetectFormat(head)
	if !ok {
		return fmt.Errorf("%q holds neither json nor proto records (it starts with %q): refusing to append to it",
			w.set.path, head[:min(len(head), 9)])
	}
	if found != "" && Format(found) != w.set.format {
		return fmt.Errorf("%q holds %s records, but format is %s: set format: %s or use another path",
			w.set.path, found, w.set.format, found)
	}
	return nil
}

// repair checks the format of an existing file, then cuts a torn last
// record, completes a last json line, or moves the rest of the file aside
// after a corrupt record, as planRepair decides.
func (w *writer) repair(ctx context.Context, f file, obs *observer) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %q: %w", w.set.path, err)
	}
	size := fi.Size()
	w.size = size
	if size == 0 {
		return nil
	}
	if err = w.checkFormat(f, size); err != nil {
		return err
	}
	plan, err := planRepair(f, size, w.set.format)
	if err != nil {
		return fmt.Errorf("check tail of %q: %w", w.set.path, err)
	}
	switch plan.action {
	case repairCut:
		if err := f.Truncate(plan.keep); err != nil {
			return fmt.Errorf("cut torn tail of %q: %w", w.set.path, err)
		}
		w.logger.Warn("Cut a torn record from the end of the file",
			zap.String("path", w.set.path), zap.Int64("bytes_removed", size-plan.keep), zap.Int64("size", plan.keep))
	case repairComplete:
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return fmt.Errorf("complete the last line of %q: %w", w.set.path, err)
		}
		w.logger.Warn("Completed the last line of the file with its missing newline", zap.String("path", w.set.path))
		size++
	case repairMoveAside:
		aside, err := w.moveAside(f, plan.keep, size)
		if err != nil {
			return err
		}
		obs.corruptFile(ctx)
		w.logger.Warn("Moved the end of the file aside: it follows a corrupt record",
			zap.String("path", w.set.path), zap.String("moved_to", aside),
			zap.Int64("offset", plan.keep), zap.Int64("bytes_moved", size-plan.keep))
	}
	if plan.action == repairCut || plan.action == repairMoveAside {
		size = plan.keep
	}
	w.size = size
	return nil
}

// moveAside copies the bytes of f from off to size into a new file
// <path>.corrupt-<time>, makes it durable, and only then cuts f at off.
// A crash in between leaves both, never neither.
func (w *writer) moveAside(f file, off, size int64) (string, error) {
	base := w.set.path + ".corrupt-" + w.fs.now().UTC().Format(backupTimeLayout)
	name := base
	for i := 1; exists(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, w.set.mode)
	if err != nil {
		return "", fmt.Errorf("move corrupt end of %q aside: %w", w.set.path, err)
	}
	err = out.Chmod(w.set.mode) // OpenFile's mode is filtered by the umask
	if err == nil {
		_, err = io.Copy(out, io.NewSectionReader(f, off, size-off))
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.fs.syncDir(filepath.Dir(name))
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("move corrupt end of %q aside to %q: %w", w.set.path, name, err)
	}
	if err := f.Truncate(off); err != nil {
		return "", fmt.Errorf("cut %q after moving its end aside to %q: %w", w.set.path, name, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("fsync %q after moving its end aside to %q: %w", w.set.path, name, err)
	}
	return name, nil
}

// allZeroFrom reports whether f holds only zero bytes from off to size.
func allZeroFrom(f io.ReaderAt, off, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		chunk := buf[:min(int64(len(buf)), size-off)]
		if err := readFull(f, chunk, off); err != nil {
			return false, fmt.Errorf("read at %d: %w", off, err)
		}
		if len(bytes.TrimLeft(chunk, "\x00")) > 0 {
			return false, nil
		}
		off += int64(len(chunk))
	}
	return true, nil
}

// readFull reads len(p) bytes at off; reading nothing always succeeds.
func readFull(f io.ReaderAt, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	n, err := f.ReadAt(p, off)
	if n == len(p) && errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
