package replay

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/resilientsink/resilientsink/internal/deadletter"
	"github.com/resilientsink/resilientsink/internal/otlpfile"
	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

const (
	benchBatches = 200
	benchRecords = 100 // per batch
)

// benchBatch is a telemetrygen-shaped batch: records with a short body and
// a few attributes under one resource.
func benchBatch(i int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "telemetrygen")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("bench")
	for j := range benchRecords {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(1_700_000_000_000_000_000 + 1000)
		lr.SetSeverityText("Info")
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr("the message")
		lr.Attributes().PutStr("app", "server")
		lr.Attributes().PutInt("batch", int64(i))
		lr.Attributes().PutInt("record", int64(j))
	}
	return ld
}

// benchSources writes the same data as a dead-letter folder and as filesink
// files of each format and compression; it returns their paths by name.
func benchSources(b *testing.B) map[string]string {
	b.Helper()
	dir := b.TempDir()
	var all []plog.Logs
	for i := range benchBatches {
		all = append(all, benchBatch(i))
	}
	out := map[string]string{"deadletter": filepath.Join(dir, "dead")}
	writeLetters(b, out["deadletter"], all, "permanent_error")
	for _, format := range []string{"json", "proto"} {
		for _, comp := range []string{"", "gzip", "zstd"} {
			name := format
			if comp != "" {
				name += "." + comp
			}
			out[name] = filepath.Join(dir, "logs-"+name)
			writeFile(b, out[name], format, comp, all)
		}
	}
	return out
}

var benchOrder = []string{"deadletter", "json", "json.gzip", "json.zstd", "proto", "proto.gzip", "proto.zstd"}

// countingLogs counts items and signals when it has seen want.
type countingLogs struct {
	items atomic.Int64
	want  int64
	done  chan struct{}
}

func (c *countingLogs) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if c.items.Add(int64(ld.LogRecordCount())) == c.want {
		close(c.done)
	}
	return nil
}

func (c *countingLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// BenchmarkReplay measures the whole receiver: read, decode, hand to the
// pipeline (a counting consumer), fsync the checkpoint after every batch.
func BenchmarkReplay(b *testing.B) {
	srcs := benchSources(b)
	total := int64(benchBatches * benchRecords)
	for _, name := range benchOrder {
		b.Run("source="+name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Include = []string{srcs[name]}
			b.ReportAllocs()
			for b.Loop() {
				cfg.Checkpoint = filepath.Join(b.TempDir(), "cp")
				next := &countingLogs{want: total, done: make(chan struct{})}
				r, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, next)
				require.NoError(b, err)
				require.NoError(b, r.Start(context.Background(), componenttest.NewNopHost()))
				<-next.done
				require.NoError(b, r.Shutdown(context.Background()))
			}
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkDecode measures reading and decoding alone (no pipeline, no
// checkpoint), beside pdata's own JSON decoding of the same json file read
// line by line: the baseline a JSON-lines reader cannot beat.
func BenchmarkDecode(b *testing.B) {
	srcs := benchSources(b)
	total := benchBatches * benchRecords
	c := logsCodec(nil)
	for _, name := range append(append([]string{}, benchOrder...), "pdata-json-baseline") {
		b.Run("source="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var n int
				switch name {
				case "deadletter":
					n = decodeLetters(b, srcs[name], c)
				case "pdata-json-baseline":
					n = decodePdataJSON(b, srcs["json"])
				default:
					n = decodeFile(b, srcs[name], c)
				}
				if n != total {
					b.Fatalf("decoded %d items, want %d", n, total)
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

func decodeLetters(b *testing.B, dir string, c codec) int {
	r := deadletter.NewReader(dir, deadletter.Position{})
	defer r.Close()
	n := 0
	for {
		l, ok, err := r.Next()
		require.NoError(b, err)
		if !ok {
			return n
		}
		bt, err := c.decode(l.Payload, false)
		require.NoError(b, err)
		n += bt.items
	}
}

func decodeFile(b *testing.B, path string, c codec) int {
	r, err := otlpfile.Open(path)
	require.NoError(b, err)
	defer r.Close()
	n := 0
	for {
		rec, err := r.Next()
		if err != nil {
			return n
		}
		bt, err := c.decode(rec, r.Format() == otlpfile.FormatJSON)
		require.NoError(b, err)
		n += bt.items
	}
}

func decodePdataJSON(b *testing.B, path string) int {
	f, err := os.Open(path)
	require.NoError(b, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	var u plog.JSONUnmarshaler
	n := 0
	for sc.Scan() {
		ld, err := u.UnmarshalLogs(sc.Bytes())
		require.NoError(b, err)
		n += ld.LogRecordCount()
	}
	require.NoError(b, sc.Err())
	return n
}
