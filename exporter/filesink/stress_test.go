package filesink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentWritesWithRotation runs concurrent writers through rotation
// (which swaps the file under running fsyncs) and checks that every record
// lands whole exactly once, across the active file and compressed backups.
func TestConcurrentWritesWithRotation(t *testing.T) {
	for _, dur := range []Durability{DurabilityBuffered, DurabilityFlushed, DurabilitySynced} {
		t.Run(string(dur), func(t *testing.T) {
			dir := t.TempDir()
			rot := RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}
			if dur == DurabilitySynced { // compressors are slow under -race: one case is enough
				rot.Compression = CompressionZstd
			}
			w := testWriter(t, writerSettings{
				path: filepath.Join(dir, "logs.jsonl"), durability: dur, flushInterval: 1 << 40, rotation: &rot,
			}, fileSystem{})
			rec := logsRecord(t, FormatJSON, 150) // about 50 KiB
			const writers, each = 8, 8
			errs := make(chan error, writers*each)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					for range each {
						errs <- w.write(context.Background(), rec, nil)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, w.close(context.Background(), nil))

			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			total := 0
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), lockSuffix) {
					continue
				}
				p := filepath.Join(dir, e.Name())
				data := mustRead(t, p)
				if strings.HasSuffix(p, ".zst") {
					data = readBackup(t, p)
				} else if rot.Compression != CompressionNone {
					assert.Equal(t, "logs.jsonl", e.Name(), "every backup is compressed")
				}
				assert.LessOrEqual(t, len(data), megabyte)
				lines := readJSONLines(t, data)
				for _, l := range lines {
					require.Equal(t, rec[:len(rec)-1], l)
				}
				total += len(lines)
			}
			assert.Equal(t, writers*each, total)
			assert.Greater(t, len(entries), 3, "rotated several times")
		})
	}
}
