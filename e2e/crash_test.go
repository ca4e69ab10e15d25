//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestCrashRestartAppends: SIGKILL a collector writing with filesink in the
// middle of a load, restart it on the same files: every line written before
// the crash still parses and is unchanged, a torn tail (if any) is cut back,
// and new data is appended after the old lines.
func TestCrashRestartAppends(t *testing.T) {
	c := newCollector(t, "collector", deliveryConfig)
	c.start()
	path := c.outFile("logs")
	l := startLoad(t, newLogClient(t, c.grpcEndpoint()), 200, 5*time.Millisecond)
	eventually(t, 30*time.Second, "the collector to write 5000 records", func() bool {
		return mustReadFile(t, path, "logs").Records >= 5000
	})
	c.kill()
	res := l.stop()

	before := mustReadFile(t, path, "logs")
	t.Logf("before restart: %d lines, %d records, torn tail %d bytes; client sent %d", before.Lines, before.Records, before.Tail, res.Sent)
	require.Zero(t, before.BadN, "complete lines that do not parse after SIGKILL: %v", before.Bad)
	for seq, n := range before.Seqs {
		if n != 1 || seq >= res.Sent {
			t.Fatalf("record %d: %d copies; %d records were sent", seq, n, res.Sent)
		}
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	oldLines := bytes.Clone(raw[:before.Prefix])
	if before.Tail == 0 {
		// The kill landed between writes: tear a record by hand, as a crash in
		// the middle of write(2) would, with half of the last line.
		last := oldLines[bytes.LastIndexByte(oldLines[:len(oldLines)-1], '\n')+1:]
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, ferr)
		_, ferr = f.Write(last[:len(last)/2])
		require.NoError(t, ferr)
		require.NoError(t, f.Close())
		require.Positive(t, mustReadFile(t, path, "logs").Tail)
	}

	c.start()
	const more, first = 2000, 1_000_000
	client := newLogClient(t, c.grpcEndpoint())
	for i := int64(0); i < more; i += 100 {
		require.Equal(t, codes.OK, client.send(first+i, 100))
	}
	eventually(t, 30*time.Second, "the new records to be appended", func() bool {
		return mustReadFile(t, path, "logs").Records >= before.Records+more
	})
	c.stop(30 * time.Second)

	after := mustReadFile(t, path, "logs")
	require.Zero(t, after.BadN, "unparseable lines after restart: %v", after.Bad)
	assert.Zero(t, after.Tail, "torn tail after restart")
	assert.Equal(t, before.Records+more, after.Records)
	raw, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(raw, oldLines), "the lines written before the crash are intact at the head of the file")
	for i := int64(0); i < more; i++ {
		assert.Equal(t, 1, after.Seqs[first+i], "new record %d", first+i)
	}
}
