package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
)

// backupWorker compresses rotated files and deletes backups beyond
// max_backups and max_total_megabytes, in one background goroutine, so a
// rotation never holds up writers. Each pass handles every backup it finds,
// including those left uncompressed by an earlier process.
type backupWorker struct {
	set    writerSettings
	fs     fileSystem
	logger *zap.Logger
	obs    *observerSet // failures are counted for every exporter of the file

	wake   chan struct{} // one pending pass at most
	quit   chan struct{} // closed by stop: finish the pass, then return
	ctx    context.Context
	cancel context.CancelFunc // aborts a compression in progress
	wg     sync.WaitGroup
}

func startBackupWorker(set writerSettings, fs fileSystem, logger *zap.Logger, obs *observerSet) *backupWorker {
	ctx, cancel := context.WithCancel(context.Background())
	b := &backupWorker{
		set: set, fs: fs, logger: logger, obs: obs,
		wake: make(chan struct{}, 1), quit: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
	b.kick() // leftovers of an earlier run
	b.wg.Go(b.run)
	return b
}

// kick asks for a pass; it never blocks. A nil worker does nothing.
func (b *backupWorker) kick() {
	if b == nil {
		return
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// stop lets the pending pass finish, or aborts it when ctx ends (an
// interrupted compression is redone by the next process).
func (b *backupWorker) stop(ctx context.Context) error {
	close(b.quit)
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	defer b.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		b.cancel()
		<-done
		return fmt.Errorf("backup compression interrupted: %w", ctx.Err())
	}
}

func (b *backupWorker) run() {
	for {
		select {
		case <-b.wake:
			b.pass()
		case <-b.quit:
			select {
			case <-b.wake:
				b.pass()
			default:
			}
			return
		}
	}
}

// pass compresses every uncompressed backup, then applies the caps.
func (b *backupWorker) pass() {
	b.recoverTmps()
	list, err := b.list()
	if err != nil {
		b.logger.Warn("Cannot list backups", zap.String("path", b.set.path), zap.Error(err))
		return
	}
	if c := b.set.rotation.Compression; c != CompressionNone {
		for i := range list {
			if list[i].compressed {
				continue
			}
			if b.ctx.Err() != nil {
				return
			}
			np, err := compressFile(b.ctx, list[i].path, c, b.set.mode, b.fs.syncDir)
			if err != nil {
				b.obs.writeError(b.ctx)
				b.logger.Warn("Cannot compress backup", zap.String("backup", list[i].path), zap.Error(err))
				continue
			}
			list[i].path, list[i].compressed = np, true
			if fi, err := os.Stat(np); err == nil {
				list[i].size = fi.Size()
			}
		}
	}
	b.prune(list)
}

// list returns the backups of the active file, newest first.
func (b *backupWorker) list() ([]backupFile, error) {
	dir, stem, ext := splitPath(b.set.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []backupFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		bf, ok := parseBackup(e.Name(), stem, ext)
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		bf.path, bf.size = filepath.Join(dir, e.Name()), info.Size()
		out = append(out, bf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].stamp > out[j].stamp })
	return out, nil
}

// prune deletes backups beyond max_backups, then the oldest while the total
// passes max_total_megabytes. list is newest first.
func (b *backupWorker) prune(list []backupFile) {
	r := b.set.rotation
	var total int64
	for i, bf := range list {
		total += bf.size
		overCount := r.MaxBackups > 0 && i >= r.MaxBackups
		overSize := r.MaxTotalMegabytes > 0 && total > int64(r.MaxTotalMegabytes)*megabyte
		if !overCount && !overSize {
			continue
		}
		if err := os.Remove(bf.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.logger.Warn("Cannot delete old backup", zap.String("backup", bf.path), zap.Error(err))
			continue
		}
		b.logger.Debug("Deleted old backup", zap.String("backup", bf.path))
	}
}

// compressFile writes src.gz or src.zst (through a .tmp file, fsynced, then
// renamed, then the folder fsynced) and only then removes src. It returns
// the new path.
func compressFile(ctx context.Context, src string, c Compression, mode os.FileMode, syncDir func(string) error) (string, error) {
	suffix := ".gz"
	if c == CompressionZstd {
		suffix = ".zst"
	}
	dst := src + suffix
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return "", err
	}
	err = out.Chmod(mode) // OpenFile's mode is filtered by the umask
	if err == nil {
		err = encodeTo(out, &ctxReader{ctx: ctx, r: in}, c)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(dst+".tmp", dst)
	}
	if err != nil {
		_ = os.Remove(dst + ".tmp")
		return "", err
	}
	// The rename must be on disk before the removal: a power loss could
	// otherwise keep the removal and lose the rename, and with it both copies.
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return dst, fmt.Errorf("keep %q after compression: %w", src, err)
	}
	_ = in.Close() // before the removal: Windows cannot remove an open file
	if err := os.Remove(src); err != nil {
		return dst, fmt.Errorf("remove %q after compression: %w", src, err)
	}
	return dst, nil
}

func encodeTo(w io.Writer, r io.Reader, c Compression) error {
	var enc io.WriteCloser
	if c == CompressionZstd {
		z, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		enc = z
	} else {
		enc = gzip.NewWriter(w)
	}
	if _, err := io.Copy(enc, r); err != nil {
		_ = enc.Close()
		return err
	}
	return enc.Close()
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
