package otlpjson

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// TestConcurrentEncoding encodes the same pdata from several goroutines, as
// exporters sharing a batch do; the race detector checks the encoder only
// reads.
func TestConcurrentEncoding(t *testing.T) {
	ld := otlpfixtures.RichLogs()
	td := otlpfixtures.RichTraces()
	md := otlpfixtures.RichMetrics()
	want := [3]string{string(AppendLogs(nil, ld)), string(AppendTraces(nil, td)), string(AppendMetrics(nil, md))}

	const workers = 4
	var got [workers][3]string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var buf []byte
			for range 10 {
				buf = AppendLogs(buf[:0], ld)
				got[w][0] = string(buf)
				buf = AppendTraces(buf[:0], td)
				got[w][1] = string(buf)
				buf = AppendMetrics(buf[:0], md)
				got[w][2] = string(buf)
			}
		})
	}
	wg.Wait()
	for w := range workers {
		assert.Equal(t, want, got[w])
	}
}

func TestSteadyStateZeroAllocs(t *testing.T) {
	ld := otlpfixtures.RichLogs()
	td := otlpfixtures.RichTraces()
	md := otlpfixtures.RichMetrics()
	buf := make([]byte, 0, 1<<20)
	allocs := testing.AllocsPerRun(20, func() {
		buf = AppendLogs(buf[:0], ld)
		buf = AppendTraces(buf, td)
		buf = AppendMetrics(buf, md)
	})
	require.Zero(t, allocs)
}
