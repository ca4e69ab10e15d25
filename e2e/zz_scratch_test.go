//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/resilientsink/resilientsink/internal/spool"
)

func TestScratchHarness(t *testing.T) {
	_ = mountTmpfs(t, "2m")
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "write_ahead"))
	// spool read-back
	dir := filepath.Join(t.TempDir(), "inst")
	s, err := spool.Open(spool.Settings{Dir: filepath.Join(dir, "head"), MaxBytes: 1 << 20})
	require.NoError(t, err)
	for i := range 3 {
		p, _ := ptraceotlp.NewExportRequestFromTraces(makeSpans(int64(i*5), 5, 0)).MarshalProto()
		_, err = s.Append(nil, spool.Record{Payload: p, Items: 5})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	sc := readSpool(t, dir)
	require.Equal(t, 15, len(sc.Seqs))
	require.Equal(t, int64(15), sc.Items)

	l := startAckLoad(t, newSpanClient(t, a.httpEndpoint(), 0), 4, 20, 2*time.Millisecond)
	b.start()
	for i := range 3 {
		a.start()
		base := l.ackedCount()
		eventually(t, 30*time.Second, "acks", func() bool { return l.ackedCount() >= base+100*(i+1) })
		a.kill()
	}
	acked := l.stop()
	a.start()
	got := mustReadSpans(t, b.outFile("traces"))
	t.Logf("acked %d, got %d, missing %d, extra %d, dup %d", len(acked), len(got), missingFrom(got, acked), extraIn(got, acked), duplicates(got))
	s2 := a.scrape()
	t.Logf("%s", s2.persistAccounting())
	a.stop(10 * time.Second)
}
