package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadatatest"
)

// Both filesink formats, plain and as gzip and zstd backups, replay to
// pdata-equal data, backups in name (time) order before the active file.
func TestReplayFilesinkFormatsAndBackups(t *testing.T) {
	for _, format := range []string{"json", "proto"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "logs-2026-01-01T00-00-00.000.x.gz"), format, "gzip", batches(0, 4, 3))
			writeFile(t, filepath.Join(dir, "logs-2026-01-01T00-00-01.000.x.zst"), format, "zstd", batches(4, 8, 3))
			writeFile(t, filepath.Join(dir, "logs.x"), format, "", batches(8, 12, 3))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "logs.x.lock"), nil, 0o600))
			rec := &recorder{}
			tel := componenttest.NewTelemetry()
			start(t, testConfig(t, filepath.Join(dir, "logs*")), rec, tel)
			waitCalls(t, rec, 12)
			assert.Equal(t, wantBytes(t, batches(0, 12, 3)), rec.calls())
			metadatatest.AssertEqualReceiverReplayItems(t, tel, []metricdata.DataPoint[int64]{{
				Value:      36,
				Attributes: attribute.NewSet(attribute.String("receiver", "replay"), attribute.String("signal", "logs")),
			}}, metricdatatest.IgnoreTimestamp())
		})
	}
}

// Dead letters replay to equal data; reasons filters them; with
// dead_letter_attributes each resource shows the reason and the error.
func TestReplayDeadLetters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dead")
	writeLetters(t, dir, batches(0, 6, 2), "permanent_error", "expired")
	cfg := testConfig(t, dir)
	cfg.Reasons = []string{"permanent_error"}
	cfg.DeadLetterAttributes = true
	rec := &recorder{}
	start(t, cfg, rec, nil)
	waitCalls(t, rec, 3)
	got := rec.logs()
	require.Len(t, got, 3)
	for k, ld := range got {
		i := 2 * k // the permanent_error letters
		attrs := ld.ResourceLogs().At(0).Resource().Attributes()
		reason, _ := attrs.Get(attrReason)
		msg, _ := attrs.Get(attrError)
		assert.Equal(t, "permanent_error", reason.Str())
		assert.Equal(t, "HTTP 400: batch "+itoa(i), msg.Str())
		attrs.Remove(attrReason)
		attrs.Remove(attrError)
		assert.Equal(t, protoBytes(t, logsBatch(i, 2)), protoBytes(t, ld))
	}
}

// A permanent refusal is counted and logged, and replay moves on.
func TestPermanentFailureCountedAndSkipped(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "logs.json"), "json", "", batches(0, 4, 5))
	rec := &recorder{fn: func(_ context.Context, call int, _ plog.Logs) error {
		if call == 1 {
			return permanentErr("backend rejects it")
		}
		return nil
	}}
	tel := componenttest.NewTelemetry()
	start(t, testConfig(t, filepath.Join(dir, "logs.json")), rec, tel)
	waitCalls(t, rec, 4)
	require.Eventually(t, func() bool { return sumOf(t, tel, "otelcol_receiver_replay_items") == 15 }, waitFor, tick)
	assert.Equal(t, wantBytes(t, batches(0, 4, 5)), rec.calls(), "each batch once, the refused one not retried")
	metadatatest.AssertEqualReceiverReplayFailedItems(t, tel, []metricdata.DataPoint[int64]{{
		Value:      5,
		Attributes: attribute.NewSet(attribute.String("receiver", "replay"), attribute.String("signal", "logs")),
	}}, metricdatatest.IgnoreTimestamp())
}

// A source that does not decode is reported and skipped; the others replay.
func TestUndecodableSourceSkipped(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.bin"), []byte("this is not OTLP at all\n"), 0o600))
	writeFile(t, filepath.Join(dir, "b.bin"), "proto", "", batches(0, 2, 1))
	rec := &recorder{}
	start(t, testConfig(t, filepath.Join(dir, "*.bin")), rec, nil)
	waitCalls(t, rec, 2)
	assert.Equal(t, wantBytes(t, batches(0, 2, 1)), rec.calls())
}

// on_done: delete removes replayed files, and the replayed segments of a
// dead-letter folder no writer holds.
func TestOnDoneDelete(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "logs.jsonl")
	dead := filepath.Join(dir, "dead")
	writeFile(t, file, "json", "", batches(0, 2, 1))
	writeLetters(t, dead, batches(2, 4, 1), "expired")
	cfg := testConfig(t, file, dead)
	cfg.OnDone = OnDoneDelete
	rec := &recorder{}
	start(t, cfg, rec, nil)
	waitCalls(t, rec, 4)
	require.Eventually(t, func() bool {
		_, ferr := os.Stat(file)
		segs, _ := filepath.Glob(filepath.Join(dead, "*.seg"))
		return os.IsNotExist(ferr) && len(segs) == 0
	}, waitFor, tick)
	assert.Equal(t, wantBytes(t, batches(0, 4, 1)), rec.calls())
}

// on_done: delete never deletes dead letters the reasons filter passed
// over.
func TestOnDoneDeleteKeepsFilteredLetters(t *testing.T) {
	dead := filepath.Join(t.TempDir(), "dead")
	writeLetters(t, dead, batches(0, 4, 1), "expired", "permanent_error")
	cfg := testConfig(t, dead)
	cfg.OnDone = OnDoneDelete
	cfg.Reasons = []string{"expired"}
	rec := &recorder{}
	r := start(t, cfg, rec, nil)
	waitCalls(t, rec, 2)
	require.NoError(t, r.Shutdown(context.Background())) // the pass, deletion included, is over
	segs, err := filepath.Glob(filepath.Join(dead, "*.seg"))
	require.NoError(t, err)
	assert.Len(t, segs, 1, "the permanent_error letters are still there")
	all := &recorder{}
	start(t, testConfig(t, dead), all, nil)
	waitCalls(t, all, 4)
}

// A folder in include that holds no dead letters (its parent, say) is
// reported once.
func TestFolderWithoutDeadLettersReported(t *testing.T) {
	parent := t.TempDir()
	writeLetters(t, filepath.Join(parent, "dead-logs"), batches(0, 1, 1), "expired")
	core, logs := observer.New(zap.WarnLevel)
	set := metadatatest.NewSettings(componenttest.NewTelemetry())
	set.Logger = zap.New(core)
	r, err := NewFactory().CreateLogs(context.Background(), set, testConfig(t, parent), &recorder{})
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("holds no dead letters").Len() == 1 }, waitFor, tick)
	require.NoError(t, r.Shutdown(context.Background()))
}

// A folder emptied and written again from segment 1 after the checkpoint
// moved past it is read from the start, not ignored.
func TestRenumberedFolderReadFromStart(t *testing.T) {
	dead := filepath.Join(t.TempDir(), "dead")
	writeLetters(t, dead, batches(0, 1, 1), "expired")
	writeLetters(t, dead, batches(1, 2, 1), "expired") // a second Open: segment 2
	cfg := testConfig(t, dead)
	rec := &recorder{}
	r := start(t, cfg, rec, nil)
	waitCalls(t, rec, 2)
	require.NoError(t, r.Shutdown(context.Background()))
	require.NoError(t, os.RemoveAll(dead)) // emptied by hand
	writeLetters(t, dead, batches(2, 3, 1), "expired")
	rec2 := &recorder{}
	start(t, cfg, rec2, nil)
	waitCalls(t, rec2, 1)
	assert.Equal(t, wantBytes(t, batches(2, 3, 1)), rec2.calls())
}

// The counters exist from Start at 0, before the first batch: a Prometheus
// rate() over them then counts that first batch too.
func TestCountersExportedFromStart(t *testing.T) {
	tel := componenttest.NewTelemetry()
	start(t, testConfig(t, filepath.Join(t.TempDir(), "none*")), &recorder{}, tel)
	want := []metricdata.DataPoint[int64]{{
		Value:      0,
		Attributes: attribute.NewSet(attribute.String("receiver", "replay"), attribute.String("signal", "logs")),
	}}
	metadatatest.AssertEqualReceiverReplayItems(t, tel, want, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverReplayFailedItems(t, tel, want, metricdatatest.IgnoreTimestamp())
}
