//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/codes"
)

// archiveVariant is one filesink output: a format and a backup compression.
type archiveVariant struct{ name, format, ext, compression string }

var archiveVariants = []archiveVariant{
	{"jg", "json", ".jsonl", "gzip"},
	{"jz", "json", ".jsonl", "zstd"},
	{"pg", "proto", ".pb", "gzip"},
	{"pz", "proto", ".pb", "zstd"},
}

// archiveWriterConfig: OTLP -> one filesink per variant into @DIR@/<name>/,
// rotating at 1 MiB, keeping every backup.
func archiveWriterConfig() string {
	var ex, ids strings.Builder
	ex.WriteString("exporters:\n")
	for _, v := range archiveVariants {
		fmt.Fprintf(&ex, `  filesink/%s:
    path: "@DIR@/%s/{signal}%s"
    format: %s
    durability: flushed
    rotation:
      max_megabytes: 1
      max_backups: 0
      compression: %s
`, v.name, v.name, v.ext, v.format, v.compression)
		fmt.Fprintf(&ids, "filesink/%s, ", v.name)
	}
	return ex.String() + fmt.Sprintf(`service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [%s]
`, strings.TrimSuffix(ids.String(), ", "))
}

// archiveReplayConfig: per variant, a replay of every file of the archive in
// srcDir/<name>/ -> otlp_http to backend/<name>/v1/logs.
func archiveReplayConfig(srcDir, backend string) string {
	var rc, ex, pl strings.Builder
	rc.WriteString("receivers:\n")
	ex.WriteString("exporters:\n")
	pl.WriteString("service:\n  pipelines:\n")
	for _, v := range archiveVariants {
		fmt.Fprintf(&rc, `  replay/%s:
    include: ["%s"]
    checkpoint: "@DIR@/%s.checkpoint"
`, v.name, filepath.Join(srcDir, v.name, "logs*"), v.name)
		ex.WriteString(otlpHTTPExporter("otlp_http/"+v.name, backend+"/"+v.name+"/v1/logs"))
		fmt.Fprintf(&pl, `    logs/%s:
      receivers: [replay/%s]
      exporters: [otlp_http/%s]
`, v.name, v.name, v.name)
	}
	return rc.String() + ex.String() + pl.String()
}

// compressedBackups counts the finished compressed backups in dir, and
// whether a compression is still in progress.
func compressedBackups(t *testing.T, dir string) (n int, busy bool) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, false
	}
	require.NoError(t, err)
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasSuffix(name, ".tmp"):
			busy = true
		case strings.HasSuffix(name, ".gz"), strings.HasSuffix(name, ".zst"):
			n++
		}
	}
	return n, busy
}

// padLogs is makeLogs with every body padded to size bytes.
func padLogs(first int64, n, size int) plog.Logs {
	ld := makeLogs(first, n)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lrs.At(i).Body().SetStr(fmt.Sprintf("%d:%s", first+int64(i), strings.Repeat("x", size)))
	}
	return ld
}

// TestDeadLetterArchiveReplay: a rotated filesink archive (active file and
// gzip or zstd backups, in json and in proto) replays to equal data, each
// batch exactly once.
func TestDeadLetterArchiveReplay(t *testing.T) {
	const batches, per, pad = 36, 5, 20 << 10 // about 3.6 MiB per variant
	w := newCollector(t, "archiver", archiveWriterConfig())
	w.start()
	client := newLogClient(t, w.grpcEndpoint())
	want := map[int64]plog.Logs{}
	for i := range batches {
		first := int64(i * per)
		ld := padLogs(first, per, pad)
		kept := plog.NewLogs()
		ld.CopyTo(kept)
		want[first] = kept
		require.Equal(t, codes.OK, client.exportLogs(ld), "batch %d", i)
	}
	eventually(t, 30*time.Second, "two finished compressed backups of every variant", func() bool {
		for _, v := range archiveVariants {
			if n, busy := compressedBackups(t, filepath.Join(w.dir, v.name)); n < 2 || busy {
				return false
			}
		}
		return true
	})
	w.stop(30 * time.Second)
	for _, v := range archiveVariants {
		n, _ := compressedBackups(t, filepath.Join(w.dir, v.name))
		t.Logf("%s (%s, %s): %d compressed backups", v.name, v.format, v.compression, n)
	}

	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", archiveReplayConfig(w.dir, good.url()))
	r.start()
	total := batches * per
	for _, v := range archiveVariants {
		path := "/" + v.name + "/v1/logs"
		eventually(t, 30*time.Second, v.name+" archive replayed", func() bool {
			return len(good.seqs(path)) >= total
		})
	}
	eventually(t, 15*time.Second, "every replay receiver to finish", func() bool {
		return len(r.logEntries("Replay finished")) == len(archiveVariants)
	})
	s := r.scrape()
	r.stop(30 * time.Second)
	for _, v := range archiveVariants {
		got := good.batches("/" + v.name + "/v1/logs")
		dups := requireDeliveredEqual(t, want, got)
		assert.Zero(t, dups, "%s: no stop, so no batch twice", v.name)
		assert.Equal(t, int64(total), s.int(mReplayItems, "receiver", "replay/"+v.name), v.name)
	}
}
