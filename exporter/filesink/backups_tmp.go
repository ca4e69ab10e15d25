package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/otlpfile"
)

// recoverTmps deals with the .tmp files of compressions that did not
// finish. With its source still there, a .tmp is an interrupted compression
// and is deleted (the source is compressed again). Without its source, the
// .tmp may be the only copy: the compression finished and the source was
// removed, but a power loss lost the rename. If it decodes whole, it is
// renamed into place; otherwise it is kept, with a warning, for a human.
func (b *backupWorker) recoverTmps() {
	dir, stem, ext := splitPath(b.set.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // list reports it
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".tmp") || !strings.HasPrefix(name, stem+"-") {
			continue
		}
		final := strings.TrimSuffix(name, ".tmp")
		bf, ok := parseBackup(final, stem, ext)
		if !ok || !bf.compressed {
			continue
		}
		tmp, dst := filepath.Join(dir, name), filepath.Join(dir, final)
		if exists(filepath.Join(dir, bf.name)) {
			_ = os.Remove(tmp) // an interrupted compression; its source is compressed again
			continue
		}
		if err := b.restoreTmp(tmp, dst); err != nil {
			b.obs.writeError(b.ctx)
			b.logger.Warn("Kept a leftover compressed backup whose source is gone", zap.String("backup", tmp), zap.Error(err))
			continue
		}
		b.logger.Warn("Restored a compressed backup whose rename was lost", zap.String("backup", dst))
	}
}

// restoreTmp renames a whole archive tmp to dst, if dst is free.
func (b *backupWorker) restoreTmp(tmp, dst string) error {
	if exists(dst) {
		return fmt.Errorf("%q exists", dst)
	}
	if err := checkArchive(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return b.fs.syncDir(filepath.Dir(dst))
}

// checkArchive decodes a .gz or .zst file to the end.
func checkArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c := otlpfile.CompressionGzip
	if strings.HasSuffix(strings.TrimSuffix(path, ".tmp"), ".zst") {
		c = otlpfile.CompressionZstd
	}
	z, err := otlpfile.Decompress(f, c)
	if err != nil {
		return fmt.Errorf("not a whole archive: %w", err)
	}
	defer z.Close()
	if _, err := io.Copy(io.Discard, z); err != nil {
		return fmt.Errorf("not a whole archive: %w", err)
	}
	return nil
}
