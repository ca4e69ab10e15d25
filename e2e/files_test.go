//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// seqKey is the log record attribute carrying the e2e client's sequence number.
const seqKey = "e2e.seq"

// fileContent is what one filesink JSON file holds.
type fileContent struct {
	Lines   int           // complete lines
	Records int           // log records, spans or data points in them
	Bad     []string      // complete lines that do not parse (at most a few kept)
	BadN    int           // how many complete lines do not parse
	Tail    int           // bytes after the last newline (a torn record)
	Seqs    map[int64]int // logs only: how often each e2e.seq value occurs
	Prefix  int           // bytes up to and including the last newline
}

// readFile parses a filesink json file of the given signal. A missing file is
// empty.
func readFile(path, signal string) (fileContent, error) {
	fc := fileContent{Seqs: map[int64]int{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fc, nil
	}
	if err != nil {
		return fc, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			fc.Tail = len(line)
			return fc, nil
		}
		if err != nil {
			return fc, err
		}
		fc.Lines++
		fc.Prefix += len(line)
		n, perr := countRecords(bytes.TrimSuffix(line, []byte{'\n'}), signal, fc.Seqs)
		if perr != nil {
			fc.BadN++
			if len(fc.Bad) < 3 {
				fc.Bad = append(fc.Bad, fmt.Sprintf("line %d: %v", fc.Lines, perr))
			}
			continue
		}
		fc.Records += n
	}
}

// mustReadFile is readFile that fails the test on an I/O error.
func mustReadFile(t *testing.T, path, signal string) fileContent {
	t.Helper()
	fc, err := readFile(path, signal)
	require.NoError(t, err)
	return fc
}

// countRecords decodes one OTLP/JSON export request with pdata's unmarshalers.
func countRecords(line []byte, signal string, seqs map[int64]int) (int, error) {
	switch signal {
	case "logs":
		var u plog.JSONUnmarshaler
		ld, err := u.UnmarshalLogs(line)
		if err != nil {
			return 0, err
		}
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if v, ok := lr.Attributes().Get(seqKey); ok {
						seqs[v.Int()]++
					}
				}
			}
		}
		return ld.LogRecordCount(), nil
	case "traces":
		var u ptrace.JSONUnmarshaler
		td, err := u.UnmarshalTraces(line)
		if err != nil {
			return 0, err
		}
		return td.SpanCount(), nil
	case "metrics":
		var u pmetric.JSONUnmarshaler
		md, err := u.UnmarshalMetrics(line)
		if err != nil {
			return 0, err
		}
		return md.DataPointCount(), nil
	}
	return 0, fmt.Errorf("unknown signal %q", signal)
}
