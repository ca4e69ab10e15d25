//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// TestPersistCorruptSegment: a folder prepared before start with internal/spool
// holds 8 good frames of 10 spans, one of them with a flipped payload byte,
// and a torn ninth frame at the end (a crash in the middle of its write);
// tail/ holds a segment of garbage. The collector starts, counts the bad
// frame's 10 items as dropped (reason corrupt), delivers the 70 good spans
// and nothing of the bad or the torn frame, moves the garbage segment aside,
// and logs each problem.
func TestPersistCorruptSegment(t *testing.T) {
	const (
		frames   = 8 // whole frames; one more is torn
		perFrame = 10
		bad      = 3 // index of the frame whose payload byte is flipped
	)
	b := newCollector(t, "B", sinkConfig)
	b.start()
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "spill"))
	head := filepath.Join(a.tracesSpoolDir(), "head")

	s, err := spool.Open(spool.Settings{Dir: head, MaxBytes: 64 << 20, Sync: true})
	require.NoError(t, err)
	var offsets []int64 // where each frame starts in the segment
	var sizes []int     // payload sizes
	var end int64
	for i := range frames + 1 {
		payload, merr := ptraceotlp.NewExportRequestFromTraces(makeSpans(int64(i*perFrame), perFrame, 0)).MarshalProto()
		require.NoError(t, merr)
		_, err = s.Append(nil, spool.Record{Payload: payload, Items: perFrame, Time: time.Now().UnixNano()})
		require.NoError(t, err)
		offsets, sizes = append(offsets, end), append(sizes, len(payload))
		end += 28 + int64(len(payload))
	}
	require.NoError(t, s.Close())

	segs, err := filepath.Glob(filepath.Join(head, "*.seg"))
	require.NoError(t, err)
	require.Len(t, segs, 1, "one segment file")
	raw, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	require.Equal(t, end, int64(len(raw)), "segment size = 9 frames of 28-byte header + payload")
	raw[offsets[bad]+28+int64(sizes[bad]/2)] ^= 0xff
	raw = raw[:offsets[frames]+28+int64(sizes[frames]/2)] // tear the last frame
	require.NoError(t, os.WriteFile(segs[0], raw, 0o600))

	// A segment in tail/ with no frame at all: moved aside, never read.
	tail := filepath.Join(a.tracesSpoolDir(), "tail")
	require.NoError(t, os.MkdirAll(tail, 0o700))
	garbage := bytes.Repeat([]byte("not a frame "), 400)
	require.NoError(t, os.WriteFile(filepath.Join(tail, "0000000001.seg"), garbage, 0o600))

	good := map[int64]bool{}
	for i := range frames {
		if i == bad {
			continue
		}
		for j := range perFrame {
			good[int64(i*perFrame+j)] = true
		}
	}

	a.start()
	got := waitAllDelivered(t, b, good, 30*time.Second)
	acc := waitAccounting(t, a, 30*time.Second, "A to count the corrupt frame and empty its disk", func(acc persistAccounting) bool {
		return acc.DroppedBy["corrupt"] >= perFrame && acc.Queued == 0 && acc.DiskItems == 0 && acc.balanced()
	})
	t.Logf("A: %s; B holds %d spans", acc, len(got))
	assert.Equal(t, int64(perFrame), acc.DroppedBy["corrupt"], "dropped{reason=corrupt} = the bad frame's items")
	assert.Equal(t, acc.Dropped, acc.DroppedBy["corrupt"], "no other drops: %v", acc.DroppedBy)
	assert.True(t, acc.balanced(), "incoming + replayed = sent + dropped + refused + queued: %s", acc)
	assert.Equal(t, int64(len(good)), acc.Sent, "sent = the good frames' items")
	assert.Zero(t, extraIn(got, good), "B holds spans of the corrupt or the torn frame")
	assert.Zero(t, duplicates(got), "spans delivered twice")

	// Every problem is logged, never silent; the garbage segment is moved aside.
	var problems []string
	for _, e := range a.logEntries("Damaged queue file on disk: skipped") {
		problems = append(problems, fmt.Sprint(e["problem"]))
	}
	t.Logf("problems logged: %q", problems)
	for _, kind := range []string{"corrupt frame", "torn tail", "moved aside"} {
		assert.True(t, slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, kind) }), "a %q problem logged", kind)
	}
	aside, err := filepath.Glob(filepath.Join(tail, "0000000001.seg.corrupt-*"))
	require.NoError(t, err)
	assert.Len(t, aside, 1, "the garbage segment moved aside")
	a.stop(30 * time.Second)
}
