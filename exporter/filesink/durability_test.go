package filesink

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

func TestSyncedReturnsOnlyAfterFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	gate, release := syncGate(t)
	started := make(chan struct{}, 16)
	var ff *faultFile
	fs := faultFS(func() *faultFile {
		ff = &faultFile{syncGate: gate, syncStarted: started}
		return ff
	}, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
	t.Cleanup(release)
	rec := logsRecord(t, FormatJSON, 1)
	done := make(chan error, 1)
	go func() { done <- w.write(context.Background(), rec, nil) }()
	<-started
	select {
	case err := <-done:
		t.Fatalf("write returned before its fsync finished: %v", err)
	default:
	}
	gate <- struct{}{}
	require.NoError(t, <-done)
	assert.Equal(t, int64(1), ff.syncs.Load())
}

func TestGroupCommitSharesFsyncs(t *testing.T) {
	for _, writers := range []int{4, 16, 64} {
		t.Run("writers="+itoa(writers), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs.jsonl")
			gate, release := syncGate(t)
			started := make(chan struct{}, 1024)
			var ff *faultFile
			fs := faultFS(func() *faultFile {
				ff = &faultFile{syncGate: gate, syncStarted: started}
				return ff
			}, nil, nil)
			w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
			t.Cleanup(release)
			rec := logsRecord(t, FormatJSON, 1)
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() { errs <- w.write(context.Background(), rec, nil) })
			}
			<-started // one slow fsync is running ...
			require.Eventually(t, func() bool { return w.seq.Load() == uint64(writers) },
				10*time.Second, time.Millisecond, "... while every writer has written")
			release()
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			syncs := ff.syncs.Load()
			assert.LessOrEqual(t, syncs, int64(2), "%d writers blocked on one fsync need one more fsync, got %d", writers, syncs)
			lines := readJSONLines(t, mustRead(t, path))
			assert.Len(t, lines, writers)
		})
	}
}

func TestFsyncErrorReachesEveryWaiterAndIsRetryable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	opened := 0
	fs := faultFS(func() *faultFile { // the first file fails every fsync, later ones work
		opened++
		if opened == 1 {
			return &faultFile{syncErr: syscall.EIO}
		}
		return &faultFile{}
	}, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
	rec := logsRecord(t, FormatJSON, 1)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { errs <- w.write(context.Background(), rec, nil) })
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err == nil {
			continue // written after the failure was seen: it went to the new file
		}
		failed++
		require.ErrorIs(t, err, syscall.EIO)
		assert.False(t, consumererror.IsPermanent(err))
		assert.Contains(t, err.Error(), "fsync \""+path+"\"")
	}
	require.Positive(t, failed)
	require.NoError(t, w.write(context.Background(), rec, nil), "the next write goes to a new file, whose fsync works")
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, 2, opened)
	assert.Len(t, readJSONLines(t, mustRead(t, path)), 8-failed+1, "every acknowledged write is in the new file")
}

func TestSyncedWaitHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	gate, release := syncGate(t)
	started := make(chan struct{}, 4)
	fs := faultFS(func() *faultFile { return &faultFile{syncGate: gate, syncStarted: started} }, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
	t.Cleanup(release)
	rec := logsRecord(t, FormatJSON, 1)
	first := make(chan error, 1)
	go func() { first <- w.write(context.Background(), rec, nil) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() { second <- w.write(ctx, rec, nil) }()
	require.Eventually(t, func() bool { return w.seq.Load() == 2 }, 10*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-second, context.Canceled)
	release()
	require.NoError(t, <-first)
}

func TestFlushedWritesWithoutFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	var ff *faultFile
	fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilityFlushed}, fs)
	rec := logsRecord(t, FormatJSON, 1)
	require.NoError(t, w.write(context.Background(), rec, nil))
	assert.Equal(t, rec, mustRead(t, path), "on disk (page cache) when write returns")
	assert.Zero(t, ff.syncs.Load())
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, int64(1), ff.syncs.Load(), "close fsyncs")
}

func TestBufferedFlushesOnIntervalAndAtClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	var ff *faultFile
	fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilityBuffered, flushInterval: 5 * time.Millisecond}, fs)
	rec := logsRecord(t, FormatJSON, 1)
	require.NoError(t, w.write(context.Background(), rec, nil))
	require.Eventually(t, func() bool { return len(mustRead(t, path)) == len(rec) }, 10*time.Second, time.Millisecond)

	path2 := filepath.Join(t.TempDir(), "logs.jsonl")
	w2 := testWriter(t, writerSettings{path: path2, durability: DurabilityBuffered, flushInterval: time.Hour}, fs)
	require.NoError(t, w2.write(context.Background(), rec, nil))
	require.NoError(t, w2.write(context.Background(), rec, nil))
	assert.Empty(t, mustRead(t, path2), "still in the process buffer")
	require.NoError(t, w2.close(context.Background(), nil))
	assert.Equal(t, cat(rec, rec), mustRead(t, path2), "close flushes")
	assert.Zero(t, ff.syncs.Load(), "buffered never fsyncs")
}

func TestBufferedFlushesWhenBufferFills(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	w := testWriter(t, writerSettings{path: path, durability: DurabilityBuffered, flushInterval: time.Hour}, fileSystem{})
	rec := logsRecord(t, FormatJSON, 50)
	n := bufferFlushBytes/len(rec) + 2
	for range n {
		require.NoError(t, w.write(context.Background(), rec, nil))
	}
	data := mustRead(t, path)
	assert.NotEmpty(t, data)
	assert.Zero(t, len(data)%len(rec), "a flush never splits a record")
}

func TestBufferedRefusesWhenPendingBytesPassLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	var ff *faultFile
	fs := faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilityBuffered, flushInterval: time.Hour}, fs)
	w.mu.Lock()
	w.maxPending = 1 << 20
	w.mu.Unlock()
	ff.setFailWrite(noWrite(syscall.ENOSPC))
	rec := make([]byte, 64<<10)
	rec[len(rec)-1] = '\n'
	var err error
	for i := 0; i < 2*w.maxPending/len(rec) && err == nil; i++ {
		err = w.write(context.Background(), rec, nil)
	}
	require.ErrorIs(t, err, syscall.ENOSPC)
	w.mu.Lock()
	assert.LessOrEqual(t, len(w.buf), w.maxPending)
	w.mu.Unlock()
	ff.setFailWrite(nil)
	require.NoError(t, w.close(context.Background(), nil))
	assert.Zero(t, len(mustRead(t, path))%len(rec))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

func TestFsyncFailureFailsWritesMadeDuringIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	gate, release := syncGate(t)
	started := make(chan struct{}, 4)
	var opened atomic.Int64
	fs := faultFS(func() *faultFile {
		ff := &faultFile{syncGate: gate, syncStarted: started}
		if opened.Add(1) == 1 {
			ff.failSyncs.Store(1) // the first fsync fails, later ones work
		}
		return ff
	}, nil, nil)
	w := testWriter(t, writerSettings{path: path, durability: DurabilitySynced}, fs)
	t.Cleanup(release)
	rec := logsRecord(t, FormatJSON, 1)
	first := make(chan error, 1)
	go func() { first <- w.write(context.Background(), rec, nil) }()
	<-started
	second := make(chan error, 1)
	go func() { second <- w.write(context.Background(), rec, nil) }() // written while the failing fsync runs
	require.Eventually(t, func() bool { return w.seq.Load() == 2 }, 10*time.Second, time.Millisecond)
	release()
	require.ErrorIs(t, <-first, syscall.EIO)
	require.ErrorIs(t, <-second, syscall.EIO, "the next fsync works, but cannot vouch for a write made before the failure")
	require.NoError(t, w.write(context.Background(), rec, nil), "writes after the failure are covered again")
}

// syncGate returns a gate for faultFile.syncGate and its release, which is
// also registered as a cleanup so a failing test never leaves a Sync blocked
// (register it after the writer: cleanups run last-in first-out).
func syncGate(t *testing.T) (gate chan struct{}, release func()) {
	t.Helper()
	gate = make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	return gate, release
}
