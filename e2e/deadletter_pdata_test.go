//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/resilientsink/resilientsink/internal/deadletter"
)

// marked reports whether any record of ld carries rejectKey.
func marked(ld plog.Logs) bool {
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				if _, ok := lrs.At(k).Attributes().Get(rejectKey); ok {
					return true
				}
			}
		}
	}
	return false
}

// markLogs adds rejectKey to every record of ld.
func markLogs(ld plog.Logs) plog.Logs {
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				lrs.At(k).Attributes().PutBool(rejectKey, true)
			}
		}
	}
	return ld
}

// firstSeq is the sequence number of ld's first record (-1 if none).
func firstSeq(ld plog.Logs) int64 {
	seqs := map[int64]int{}
	countSeqs(ld, seqs)
	first := int64(-1)
	for s := range seqs {
		if first < 0 || s < first {
			first = s
		}
	}
	return first
}

// requireLogsEqual fails unless got is pdata-equal to want (same OTLP
// protobuf encoding; the JSON forms are shown on a difference).
func requireLogsEqual(t *testing.T, want, got plog.Logs, what string) {
	t.Helper()
	var pm plog.ProtoMarshaler
	wb, err := pm.MarshalLogs(want)
	require.NoError(t, err)
	gb, err := pm.MarshalLogs(got)
	require.NoError(t, err)
	if bytes.Equal(wb, gb) {
		return
	}
	var jm plog.JSONMarshaler
	wj, _ := jm.MarshalLogs(want)
	gj, _ := jm.MarshalLogs(got)
	assert.JSONEq(t, string(wj), string(gj), what)
	t.Fatalf("%s: not pdata-equal", what)
}

// requireDeliveredEqual checks that the batches received are exactly want
// (by first sequence number, each pdata-equal), allowing repeats, and returns
// how many records came more than once.
func requireDeliveredEqual(t *testing.T, want map[int64]plog.Logs, got []plog.Logs) int {
	t.Helper()
	seen := map[int64]int{}
	dupRecords := 0
	for _, ld := range got {
		first := firstSeq(ld)
		exp, ok := want[first]
		require.Truef(t, ok, "a batch starting at seq %d was never meant to be delivered", first)
		requireLogsEqual(t, exp, ld, fmt.Sprintf("batch starting at seq %d", first))
		seen[first]++
		if seen[first] > 1 {
			dupRecords += ld.LogRecordCount()
		}
	}
	for first := range want {
		require.Positivef(t, seen[first], "batch starting at seq %d is missing", first)
	}
	return dupRecords
}

// readLetters reads every dead letter of a folder.
func readLetters(t *testing.T, dir string) []deadletter.Letter {
	t.Helper()
	r := deadletter.NewReader(dir, deadletter.Position{})
	defer func() { require.NoError(t, r.Close()) }()
	var out []deadletter.Letter
	for {
		l, ok, err := r.Next()
		require.NoError(t, err, "read dead letters in %s", dir)
		if !ok {
			return out
		}
		l.Payload = append([]byte(nil), l.Payload...) // valid until the next Next
		out = append(out, l)
	}
}

// letterLogs decodes a dead letter's payload.
func letterLogs(t *testing.T, l deadletter.Letter) plog.Logs {
	t.Helper()
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(l.Payload), "dead letter payload")
	return req.Logs()
}
