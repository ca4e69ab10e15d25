package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/resilientsink/resilientsink/internal/deadletter"
	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadatatest"
)

// removeLifecycleDir clears the folder the generated lifecycle tests use
// (tests::config in metadata.yaml) before the tests run.
func removeLifecycleDir() {
	_ = os.RemoveAll("/tmp/replay-lifecycle-test")
}

// logsBatch is batch number i: n log records with distinct bodies and a
// resource attribute, so reordering or loss shows.
func logsBatch(i, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", i%3))
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for j := range n {
		lr := lrs.AppendEmpty()
		lr.Body().SetStr(fmt.Sprintf("batch %d record %d", i, j))
		lr.Attributes().PutInt("i", int64(i))
		lr.SetTimestamp(1e9 + 1)
	}
	return ld
}

func protoBytes(t testing.TB, ld plog.Logs) []byte {
	t.Helper()
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return b
}

// writeFile writes batches as filesink does in format ("json" or "proto"),
// compressed with comp ("", "gzip", "zstd").
func writeFile(t testing.TB, path, format, comp string, batches []plog.Logs) {
	t.Helper()
	var buf bytes.Buffer
	for _, ld := range batches {
		if format == "json" {
			b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
			require.NoError(t, err)
			buf.Write(append(b, '\n'))
			continue
		}
		b := protoBytes(t, ld)
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		buf.Write(b)
	}
	data := buf.Bytes()
	var out bytes.Buffer
	switch comp {
	case "gzip":
		w := gzip.NewWriter(&out)
		_, err := w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data = out.Bytes()
	case "zstd":
		w, err := zstd.NewWriter(&out)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data = out.Bytes()
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

// writeLetters writes batches as dead letters of the given reasons (cycled).
func writeLetters(t testing.TB, dir string, batches []plog.Logs, reasons ...string) {
	t.Helper()
	w, err := deadletter.Open(deadletter.Settings{Dir: dir, MaxBytes: 1 << 30})
	require.NoError(t, err)
	defer func() { require.NoError(t, w.Close()) }()
	for i, ld := range batches {
		require.NoError(t, w.Write(deadletter.Letter{
			Signal: "logs", Reason: reasons[i%len(reasons)], Error: fmt.Sprintf("HTTP 400: batch %d", i),
			Arrived: time.Unix(10, 0), Dropped: time.Unix(20, 0), Attempts: 1,
			Items: ld.LogRecordCount(), Payload: protoBytes(t, ld),
		}))
	}
}

func batches(from, to, n int) []plog.Logs {
	var out []plog.Logs
	for i := from; i < to; i++ {
		out = append(out, logsBatch(i, n))
	}
	return out
}

// recorder is the pipeline: it records each batch it is handed (as proto
// bytes, for pdata equality) and answers with fn's result.
type recorder struct {
	mu   sync.Mutex
	got  [][]byte
	docs []plog.Logs
	fn   func(ctx context.Context, call int, ld plog.Logs) error
	// waits are closed once the calls reach their count.
	waits map[int]chan struct{}
}

// reached returns a channel closed once the pipeline was called n times:
// a test in a synctest bubble blocks on it, which lets fake time run.
func (r *recorder) reached(n int) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waits == nil {
		r.waits = map[int]chan struct{}{}
	}
	ch := make(chan struct{})
	if len(r.got) >= n {
		close(ch)
	} else {
		r.waits[n] = ch
	}
	return ch
}

func (r *recorder) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	b, _ := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	r.mu.Lock()
	call := len(r.got)
	r.got = append(r.got, b)
	r.docs = append(r.docs, ld)
	fn := r.fn
	r.mu.Unlock()
	var err error
	if fn != nil {
		err = fn(ctx, call, ld)
	}
	r.mu.Lock()
	if ch, ok := r.waits[call+1]; ok {
		close(ch)
		delete(r.waits, call+1)
	}
	r.mu.Unlock()
	return err
}

func (r *recorder) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (r *recorder) calls() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got...)
}

func (r *recorder) logs() []plog.Logs {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]plog.Logs(nil), r.docs...)
}

func testConfig(t testing.TB, include ...string) *Config {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Include = include
	cfg.Checkpoint = filepath.Join(t.TempDir(), "cp", "replay.checkpoint")
	return cfg
}

// start creates and starts a logs replay receiver; Shutdown is registered.
func start(t testing.TB, cfg *Config, next consumer.Logs, tel *componenttest.Telemetry) receiver.Logs {
	t.Helper()
	if tel == nil {
		tel = componenttest.NewTelemetry()
	}
	set := metadatatest.NewSettings(tel)
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

// waitCalls waits until the pipeline was called n times, or fails at the
// deadline.
func waitCalls(t testing.TB, rec *recorder, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(rec.calls()) >= n }, 20*time.Second, time.Millisecond,
		"the pipeline got %d of %d batches", len(rec.calls()), n)
}

func wantBytes(t testing.TB, bs []plog.Logs) [][]byte {
	t.Helper()
	var out [][]byte
	for _, ld := range bs {
		out = append(out, protoBytes(t, ld))
	}
	return out
}

const (
	waitFor = 20 * time.Second
	tick    = time.Millisecond
)

func itoa(i int) string { return fmt.Sprint(i) }

func permanentErr(msg string) error { return consumererror.NewPermanent(errors.New(msg)) }

// sumOf returns the value of a counter with one data point, or -1.
func sumOf(t testing.TB, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return -1
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || len(sum.DataPoints) != 1 {
		return -1
	}
	return sum.DataPoints[0].Value
}

// gaugeOf returns the value of a gauge with one data point, or -1.
func gaugeOf(t testing.TB, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return -1
	}
	g, ok := m.Data.(metricdata.Gauge[int64])
	if !ok || len(g.DataPoints) != 1 {
		return -1
	}
	return g.DataPoints[0].Value
}
