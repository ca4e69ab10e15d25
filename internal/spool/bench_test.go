package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Run the set side by side in one invocation (see BENCHMARKS.md):
//
//	go test -run '^$' -bench . -count 6 ./internal/spool

const benchRecord = 1 << 10 // bytes of payload per Append

// reportRate adds records/s and MB/s of payload.
func reportRate(b *testing.B, records int64, payload int, elapsed time.Duration) {
	sec := elapsed.Seconds()
	b.ReportMetric(float64(records)/sec, "records/s")
	b.ReportMetric(float64(records)*float64(payload)/sec/1e6, "MB/s")
}

// producers runs p goroutines that call fn back to back, one call per Loop
// iteration in all: p calls are in flight at any time, as p pipelines
// calling ConsumeX would have. records/s counts until the last call returns.
func producers(b *testing.B, p int, fn func(w int)) int {
	tickets := make(chan struct{}, p)
	var workers sync.WaitGroup
	for w := range p {
		workers.Go(func() {
			for range tickets {
				fn(w)
			}
		})
	}
	b.ReportAllocs()
	t0 := time.Now()
	n := 0
	for b.Loop() {
		tickets <- struct{}{}
		n++
	}
	close(tickets)
	workers.Wait()
	reportRate(b, int64(n), benchRecord, time.Since(t0))
	return n
}

// BenchmarkAppendSync measures Append with Sync (group commit) against a
// naive log that fsyncs once per Append under a mutex, as tidwall/wal does.
func BenchmarkAppendSync(b *testing.B) {
	for _, p := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("impl=spool/producers=%d/rec=1KiB", p), func(b *testing.B) {
			ffs := &faultFS{} // no faults: it counts the fsyncs
			s, err := Open(Settings{Dir: b.TempDir(), MaxBytes: 1 << 40, SegmentBytes: 64 << 20, Sync: true, FS: ffs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			payload := make([]byte, benchRecord)
			ids := make([][]ID, p)
			n := producers(b, p, func(w int) {
				var err error
				ids[w], err = s.Append(ids[w][:0], Record{Payload: payload, Items: 10})
				if err != nil {
					b.Error(err)
				}
			})
			b.ReportMetric(float64(n)/float64(ffs.syncs.Load()), "records/fsync")
		})
		b.Run(fmt.Sprintf("impl=naive-fsync-each/producers=%d/rec=1KiB", p), func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "naive"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var mu sync.Mutex
			frame := appendFrame(nil, Record{Payload: make([]byte, benchRecord), Items: 10})
			_ = producers(b, p, func(int) {
				mu.Lock()
				defer mu.Unlock()
				if _, err := f.Write(frame); err != nil {
					b.Error(err)
				}
				if err := f.Sync(); err != nil {
					b.Error(err)
				}
			})
		})
	}
}

// BenchmarkAppendNoSync measures the write path alone (no fsync).
func BenchmarkAppendNoSync(b *testing.B) {
	for _, size := range []int{64, benchRecord, 16 << 10} {
		b.Run(fmt.Sprintf("rec=%dB", size), func(b *testing.B) {
			s, err := Open(Settings{Dir: b.TempDir(), MaxBytes: 1 << 40, SegmentBytes: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rec := Record{Payload: make([]byte, size), Items: 10}
			ids := make([]ID, 0, 1)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			t0 := time.Now()
			n := 0
			for b.Loop() {
				if ids, err = s.Append(ids[:0], rec); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportRate(b, int64(n), size, time.Since(t0))
		})
	}
}

// BenchmarkReplay measures reading a spool back from disk: Open (which walks
// every header) and Next over all frames. The files are in the page cache
// after the first round; BenchmarkRawSequentialWrite gives the disk's speed.
func BenchmarkReplay(b *testing.B) {
	const records = 20000 // 20 MiB of 1 KiB records
	dir := b.TempDir()
	s, err := Open(Settings{Dir: dir, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	rec := Record{Payload: make([]byte, benchRecord), Items: 10}
	for range records {
		if _, err := s.Append(nil, rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	t0 := time.Now()
	n := 0
	var buf []byte
	for b.Loop() {
		s, err := Open(Settings{Dir: dir, MaxBytes: 1 << 40})
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for {
			f, ok, err := s.Next(buf)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			buf = f.Payload
			got++
		}
		if got != records {
			b.Fatalf("replayed %d of %d", got, records)
		}
		_ = s.Close()
		n += got
	}
	reportRate(b, int64(n), benchRecord, time.Since(t0))
}

// BenchmarkAppendNextAck is the steady state of a spill: one frame through
// Append, Next and Ack (no fsync); segments roll and are reclaimed.
func BenchmarkAppendNextAck(b *testing.B) {
	s, err := Open(Settings{Dir: b.TempDir(), MaxBytes: 1 << 30, SegmentBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := Record{Payload: make([]byte, benchRecord), Items: 10}
	ids := make([]ID, 0, 1)
	var buf []byte
	b.ReportAllocs()
	t0 := time.Now()
	n := 0
	for b.Loop() {
		if ids, err = s.Append(ids[:0], rec); err != nil {
			b.Fatal(err)
		}
		f, ok, err := s.Next(buf)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		buf = f.Payload
		if err := s.Ack(f.ID); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, int64(n), benchRecord, time.Since(t0))
}

// BenchmarkRawSequentialWrite is the machine's yardstick, dd-style: 64 MiB
// in 1 MiB writes, then one fsync.
func BenchmarkRawSequentialWrite(b *testing.B) {
	const total, chunk = 64 << 20, 1 << 20
	dir := b.TempDir()
	buf := make([]byte, chunk)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		path := filepath.Join(dir, "raw")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		for range total / chunk {
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
		_ = os.Remove(path)
	}
}

// BenchmarkRawFsync is the other yardstick: one small write plus fsync, the
// cost an Append with Sync shares with its group.
func BenchmarkRawFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, benchRecord)
	b.ReportAllocs()
	t0 := time.Now()
	n := 0
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "fsyncs/s")
}

// BenchmarkSpill64MiB is a shutdown spill: 64 MiB of 64 KiB records (the
// size of a processor batch) appended in calls of 16 records (1 MiB) into a
// fresh folder, then Close. sync=each-call opens the spool with Sync, so each
// call waits for an fsync; sync=once appends without it and calls Sync
// before Close, one fsync per segment. Compare the MB/s with
// BenchmarkRawSequentialWrite, which writes the same bytes with one fsync.
func BenchmarkSpill64MiB(b *testing.B) {
	const total, recSize, perCall = 64 << 20, 64 << 10, 16
	recs := make([]Record, perCall)
	for i := range recs {
		recs[i] = Record{Payload: make([]byte, recSize), Items: 100}
	}
	for _, mode := range []string{"each-call", "once"} {
		b.Run("sync="+mode, func(b *testing.B) {
			ids := make([]ID, 0, perCall)
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				dir := b.TempDir()
				s, err := Open(Settings{Dir: dir, MaxBytes: 1 << 30, Sync: mode == "each-call"})
				if err != nil {
					b.Fatal(err)
				}
				for range total / (recSize * perCall) {
					if ids, err = s.Append(ids[:0], recs...); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				_ = os.RemoveAll(dir)
			}
		})
	}
}
