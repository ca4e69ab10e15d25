package filesink

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is an injected clock for age rotation and backup names.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func rotatingWriter(t *testing.T, dir string, format Format, r RotationConfig, clk *fakeClock) *writer {
	t.Helper()
	fs := defaultFileSystem()
	fs.now = clk.Now
	return testWriter(t, writerSettings{path: filepath.Join(dir, "logs.jsonl"), format: format, rotation: &r}, fs)
}

// backups returns the backup file names in dir, sorted.
func backups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if e.Name() != "logs.jsonl" && e.Name() != "logs.jsonl"+lockSuffix {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func TestRotationBySizeNeverSplitsRecords(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			clk := newFakeClock()
			w := rotatingWriter(t, dir, format, RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}, clk)
			rec := logsRecord(t, format, map[Format]int{FormatJSON: 300, FormatProto: 700}[format]) // about 100 KiB
			require.Greater(t, len(rec), 50<<10)
			const n = 40
			for range n {
				require.NoError(t, w.write(context.Background(), rec, nil))
				clk.Advance(time.Millisecond)
			}
			require.NoError(t, w.close(context.Background(), nil))

			names := append(backups(t, dir), "logs.jsonl")
			require.Greater(t, len(names), 3)
			total := 0
			for _, name := range names {
				data := mustRead(t, filepath.Join(dir, name))
				assert.LessOrEqual(t, len(data), megabyte, "%s passes max_megabytes", name)
				assert.Zero(t, len(data)%len(rec), "%s holds whole records only", name)
				total += len(data) / len(rec)
				if name != "logs.jsonl" {
					assert.Greater(t, len(data)+len(rec), megabyte, "%s was rotated only when the next record did not fit", name)
				}
			}
			assert.Equal(t, n, total)
		})
	}
}

func TestRecordLargerThanLimitGetsItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock()
	w := rotatingWriter(t, dir, FormatJSON, RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}, clk)
	small := logsRecord(t, FormatJSON, 1)
	big := bytes.Repeat([]byte("x"), 2*megabyte)
	big[len(big)-1] = '\n'
	for _, rec := range [][]byte{small, big, small} {
		require.NoError(t, w.write(context.Background(), rec, nil))
		clk.Advance(time.Second)
	}
	require.NoError(t, w.close(context.Background(), nil))
	b := backups(t, dir)
	require.Len(t, b, 2)
	assert.True(t, bytes.Equal(small, mustRead(t, filepath.Join(dir, b[0]))), "first backup: the small record")
	assert.True(t, bytes.Equal(big, mustRead(t, filepath.Join(dir, b[1]))), "second backup: the big record alone")
	assert.True(t, bytes.Equal(small, mustRead(t, filepath.Join(dir, "logs.jsonl"))), "active: the last record")
}

func TestRotationByAge(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock()
	w := rotatingWriter(t, dir, FormatJSON, RotationConfig{MaxAge: time.Hour, Compression: CompressionNone}, clk)
	rec := logsRecord(t, FormatJSON, 1)
	require.NoError(t, w.write(context.Background(), rec, nil))
	clk.Advance(59 * time.Minute)
	require.NoError(t, w.write(context.Background(), rec, nil))
	assert.Empty(t, backups(t, dir), "younger than max_age")
	clk.Advance(time.Minute)
	require.NoError(t, w.write(context.Background(), rec, nil))
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, []string{"logs-2026-11-26T23-30-00.000.jsonl"}, backups(t, dir))
	assert.Equal(t, cat(rec, rec), mustRead(t, filepath.Join(dir, "logs-2026-11-26T23-30-00.000.jsonl")))
	assert.Equal(t, rec, mustRead(t, filepath.Join(dir, "logs.jsonl")))
}

func TestBackupNamesLocaltimeAndCollisions(t *testing.T) {
	for _, local := range []bool{false, true} {
		dir := t.TempDir()
		clk := newFakeClock()
		clk.now = clk.now.In(time.FixedZone("X", 5*3600))
		w := rotatingWriter(t, dir, FormatJSON, RotationConfig{MaxAge: time.Nanosecond, Compression: CompressionNone, LocalTime: local}, clk)
		rec := logsRecord(t, FormatJSON, 1)
		for range 3 { // same clock reading: names get a counter
			require.NoError(t, w.write(context.Background(), rec, nil))
			clk.Advance(time.Nanosecond)
		}
		require.NoError(t, w.close(context.Background(), nil))
		ts := "2026-11-26T22-30-00.000"
		if local {
			ts = "2026-11-27T03-30-00.000"
		}
		assert.Equal(t, []string{"logs-" + ts + "-1.jsonl", "logs-" + ts + ".jsonl"}, backups(t, dir))
	}
}

func TestMaxBackupsAndMaxTotal(t *testing.T) {
	tests := []struct {
		name string
		rot  RotationConfig
		want int
	}{
		{name: "max_backups", rot: RotationConfig{MaxMegabytes: 1, MaxBackups: 3, Compression: CompressionNone}, want: 3},
		{name: "max_total_megabytes", rot: RotationConfig{MaxMegabytes: 1, MaxTotalMegabytes: 2, Compression: CompressionNone}, want: 2},
		{name: "both, count binds", rot: RotationConfig{MaxMegabytes: 1, MaxBackups: 1, MaxTotalMegabytes: 5, Compression: CompressionNone}, want: 1},
		{name: "keep all", rot: RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}, want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := newFakeClock()
			w := rotatingWriter(t, dir, FormatJSON, tt.rot, clk)
			rec := bytes.Repeat([]byte("y"), 900<<10) // one record a file
			rec[len(rec)-1] = '\n'
			for range 8 {
				require.NoError(t, w.write(context.Background(), rec, nil))
				clk.Advance(time.Second)
			}
			require.NoError(t, w.close(context.Background(), nil)) // waits for the backup worker
			b := backups(t, dir)
			require.Len(t, b, tt.want)
			newest := clk.Now().Add(-time.Second).UTC().Format(backupTimeLayout)
			assert.Equal(t, "logs-"+newest+".jsonl", b[len(b)-1], "the newest backups are kept")
		})
	}
}

func TestRotationFailureKeepsActiveFile(t *testing.T) {
	dir := t.TempDir()
	opens := 0
	fs := defaultFileSystem()
	fs.now = newFakeClock().Now
	var failOpen bool
	fs.openFile = func(name string, flag int, perm os.FileMode) (file, error) {
		opens++
		if failOpen {
			return nil, syscall.EMFILE
		}
		return osOpenFile(name, flag, perm)
	}
	rot := RotationConfig{MaxMegabytes: 1, Compression: CompressionNone}
	w := testWriter(t, writerSettings{path: filepath.Join(dir, "logs.jsonl"), rotation: &rot}, fs)
	rec := bytes.Repeat([]byte("z"), 600<<10)
	rec[len(rec)-1] = '\n'
	require.NoError(t, w.write(context.Background(), rec, nil))
	w.mu.Lock()
	failOpen = true
	w.mu.Unlock()
	err := w.write(context.Background(), rec, nil)
	require.ErrorIs(t, err, syscall.EMFILE)
	assert.Contains(t, err.Error(), "rotate: open")
	assert.Empty(t, backups(t, dir), "the backup was renamed back")
	assert.Equal(t, rec, mustRead(t, filepath.Join(dir, "logs.jsonl")))
	w.mu.Lock()
	failOpen = false
	w.mu.Unlock()
	require.NoError(t, w.write(context.Background(), rec, nil))
	require.NoError(t, w.close(context.Background(), nil))
	require.Len(t, backups(t, dir), 1)
	assert.Equal(t, 3, opens)
}

func TestSyncedRotationFsyncFailure(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock()
	var ff *faultFile
	fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	fs.now = clk.Now
	rot := RotationConfig{MaxAge: time.Hour, Compression: CompressionNone}
	path := filepath.Join(dir, "logs.jsonl")
	w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced, rotation: &rot}, fs)
	rec := logsRecord(t, FormatJSON, 1)
	require.NoError(t, w.write(context.Background(), rec, nil))
	clk.Advance(time.Hour)
	ff.failSyncs.Store(1)
	require.NoError(t, w.write(context.Background(), rec, nil), "the record goes to the new file")
	assert.Len(t, backups(t, dir), 1, "the rotation goes on: the old file's state is unknown")
	w.gc.mu.Lock()
	err := w.gc.failedErr
	w.gc.mu.Unlock()
	require.ErrorIs(t, err, syscall.EIO, "writes covered by the failed fsync fail")
	require.EqualError(t, err, `fsync "`+path+`" before rotation: input/output error`)
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, rec, mustRead(t, path))
}
