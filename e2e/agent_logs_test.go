//go:build e2e

package e2e

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// podLog is one container's log folder in a /var/log/pods-like tree,
// <root>/<namespace>_<pod>_<uid>/<container>/, written as the kubelet and a
// CRI runtime do: 0.log in the CRI format, rotated by renaming it to
// 0.log.<time> and creating a new 0.log, the renamed file compressed later.
type podLog struct {
	t    *testing.T
	name string // the pod's name, the prefix of every line
	dir  string
	next int // the next line number
}

func newPodLog(t *testing.T, root, namespace, pod, uid, container string) *podLog {
	t.Helper()
	dir := filepath.Join(root, namespace+"_"+pod+"_"+uid, container)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return &podLog{t: t, name: pod, dir: dir}
}

// body is the message of line n of the pod: what the sink must receive once.
func (p *podLog) body(n int) string {
	return fmt.Sprintf("%s line %06d %s", p.name, n, strings.Repeat("x", 40))
}

// write appends n lines to 0.log (creating it), in the CRI format:
// "<RFC 3339 nano time> stdout F <message>".
func (p *podLog) write(n int) {
	p.t.Helper()
	f, err := os.OpenFile(filepath.Join(p.dir, "0.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	require.NoError(p.t, err)
	w := bufio.NewWriter(f)
	for range n {
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		_, err = fmt.Fprintf(w, "%s stdout F %s\n", ts, p.body(p.next))
		require.NoError(p.t, err)
		p.next++
	}
	require.NoError(p.t, w.Flush())
	require.NoError(p.t, f.Close())
}

// rotate renames 0.log to 0.log.<stamp>, as the kubelet does; the next write
// creates a new 0.log. It returns the rotated file's path.
func (p *podLog) rotate(stamp string) string {
	p.t.Helper()
	rotated := filepath.Join(p.dir, "0.log."+stamp)
	require.NoError(p.t, os.Rename(filepath.Join(p.dir, "0.log"), rotated))
	return rotated
}

// compress replaces a rotated file by its gzip copy, as the kubelet does
// later: <file>.gz, the original removed.
func (p *podLog) compress(rotated string) {
	p.t.Helper()
	in, err := os.Open(rotated)
	require.NoError(p.t, err)
	out, err := os.Create(rotated + ".gz")
	require.NoError(p.t, err)
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	require.NoError(p.t, err)
	require.NoError(p.t, zw.Close())
	require.NoError(p.t, out.Close())
	require.NoError(p.t, in.Close())
	require.NoError(p.t, os.Remove(rotated))
}

// bodyCounts reads a filesink logs file (OTLP JSON lines) and counts each
// log record's body. A missing file is empty; a torn last line is skipped.
func bodyCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return counts
	}
	require.NoError(t, err)
	var u plog.JSONUnmarshaler
	lines := strings.Split(string(b), "\n")
	for _, line := range lines[:len(lines)-1] { // the part after the last newline may be torn
		ld, err := u.UnmarshalLogs([]byte(line))
		require.NoError(t, err, "filesink line")
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					counts[lrs.At(k).Body().AsString()]++
				}
			}
		}
	}
	return counts
}

// shippedConfig reads a collector configuration under deploy/kubernetes and
// makes it run here: every listener on 127.0.0.1 at the collector's own
// ports (the @...@ placeholders of newCollectorRaw), then the replacements
// in pairs (old, new, ...).
func shippedConfig(t *testing.T, path string, pairs ...string) string {
	t.Helper()
	return rewriteShipped(t, path, append([]string{
		"0.0.0.0:4317", "127.0.0.1:@GRPC@",
		"0.0.0.0:4318", "127.0.0.1:@HTTP@",
		"0.0.0.0:13133", "127.0.0.1:@HEALTH@",
	}, pairs...)...)
}

// rewriteShipped reads a collector configuration under deploy/kubernetes,
// moves its telemetry endpoint to 127.0.0.1 at the collector's metrics port
// and applies the replacements in pairs (old, new, ...); each old must occur.
func rewriteShipped(t *testing.T, path string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "deploy", "kubernetes", path))
	require.NoError(t, err)
	pairs = append([]string{"host: 0.0.0.0\n                port: 8888", "host: 127.0.0.1\n                port: @METRICS@"}, pairs...)
	cfg := string(b)
	for i := 0; i < len(pairs); i += 2 {
		require.Contains(t, cfg, pairs[i], "%s", path)
	}
	return strings.NewReplacer(pairs...).Replace(cfg)
}
