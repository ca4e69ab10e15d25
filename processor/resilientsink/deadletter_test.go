// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"

	"github.com/resilientsink/resilientsink/internal/deadletter"
)

// readLetters reads every dead letter of the harness instance's folder.
func readLetters(t *testing.T, dir string) []deadletter.Letter {
	t.Helper()
	r := deadletter.NewReader(dir, deadletter.Position{})
	defer func() { require.NoError(t, r.Close()) }()
	var out []deadletter.Letter
	for {
		l, ok, err := r.Next()
		require.NoError(t, err)
		if !ok {
			return out
		}
		out = append(out, l)
	}
}

func deadLetterConfig(dir string) *Config {
	cfg := testConfig()
	cfg.CircuitBreaker.Enabled = false
	cfg.Retry.InitialInterval = time.Millisecond
	cfg.Retry.MaxInterval = time.Millisecond
	cfg.DeadLetter.Directory = dir
	return cfg
}

func TestDeadLetterKeepsAPermanentFailureWithWhy(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, deadLetterConfig(dir))
	h.down.set(modePermanent)
	h.start()
	ld := h.batch(4)
	want := plog.NewLogs()
	ld.CopyTo(want)
	require.NoError(t, h.p.ConsumeLogs(context.Background(), ld))
	require.Eventually(t, func() bool {
		return h.metric("dead_lettered_items", attribute.String("reason", "permanent_error")) == 4
	}, 5*time.Second, time.Millisecond)
	assert.Zero(t, h.metric("dropped_items"), "kept, not lost")
	h.requireBalanced()
	require.NoError(t, h.p.Shutdown(context.Background()))

	letters := readLetters(t, instanceFolder(dir, h.id(), "logs"))
	require.Len(t, letters, 1)
	l := letters[0]
	assert.Equal(t, "permanent_error", l.Reason)
	assert.Equal(t, "logs", l.Signal)
	assert.Contains(t, l.Error, errDownstream.Error())
	assert.Equal(t, 1, l.Attempts)
	assert.Equal(t, 4, l.Items)
	got, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(l.Payload)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the dead letter decodes to the batch")
}

func TestDeadLetterReasonsPerConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := deadLetterConfig(dir)
	cfg.QueueSize = 1
	cfg.Overflow = OverflowPolicyDropNewest
	cfg.DeadLetter.Reasons = []string{"retries_exhausted"}
	cfg.Retry.MaxElapsedTime = 20 * time.Millisecond
	h := newHarness(t, cfg)
	h.down.set(modeFail)
	h.start()
	require.NoError(t, h.send(2)) // fails until max_elapsed_time: kept
	require.NoError(t, h.send(3)) // no room: dropped (overflow is not kept)
	require.Eventually(t, func() bool {
		return h.metric("dead_lettered_items", attribute.String("reason", "retries_exhausted")) == 2
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(3), h.dropped("overflow"))
	h.requireBalanced()
	// Only the configured reasons have series from Start.
	s := h.collect()
	assert.Zero(t, s.sum(t, "dead_lettered_items", attribute.String("reason", "overflow")))
}

func TestDeadLetterFullFolderDropsAsUsual(t *testing.T) {
	dir := t.TempDir()
	cfg := deadLetterConfig(dir)
	cfg.DeadLetter.MaxMegabytes = 1
	h := newHarness(t, cfg)
	h.down.set(modePermanent)
	h.start()
	for range 40 {
		require.NoError(t, h.p.ConsumeLogs(context.Background(), bigRecordLogs(100<<10)))
	}
	require.Eventually(t, func() bool {
		return h.metric("queue_items") == 0 && h.metric("dead_lettered_items")+h.dropped("permanent_error") == 40
	}, 10*time.Second, time.Millisecond)
	assert.Positive(t, h.metric("dead_lettered_items"))
	assert.Positive(t, h.dropped("permanent_error"), "past the budget, a plain drop with the original reason")
	assert.LessOrEqual(t, h.metric("dead_letter_bytes"), int64(1<<20))
	assert.Equal(t, int64(1<<20), h.metric("dead_letter_limit_bytes"))
	assert.NotEmpty(t, h.logs.FilterMessageSnippet("Could not keep a dead letter").All())
	h.requireBalanced()
}
