//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// seqKey is the log record attribute carrying the e2e client's sequence number.
const seqKey = "e2e.seq"

// fileContent is what one filesink JSON file holds.
type fileContent struct {
	Lines   int           // complete lines (json) or frames (proto)
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
	err = fc.addJSON(f, signal)
	return fc, err
}

// addJSON adds the lines of r (OTLP/JSON, one request a line) to fc.
func (fc *fileContent) addJSON(r io.Reader, signal string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			fc.Tail = len(line)
			return nil
		}
		if err != nil {
			return err
		}
		fc.Lines++
		fc.Prefix += len(line)
		fc.add(countRecords(bytes.TrimSuffix(line, []byte{'\n'}), signal, fc.Seqs))
	}
}

// addProto adds the frames of r (4-byte big-endian length, then an OTLP
// protobuf export request) to fc; Lines counts frames.
func (fc *fileContent) addProto(r io.Reader, signal string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var hdr [4]byte
	for {
		n, err := io.ReadFull(br, hdr[:])
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			fc.Tail = n
			return nil
		}
		if err != nil {
			return err
		}
		msg := make([]byte, binary.BigEndian.Uint32(hdr[:]))
		m, err := io.ReadFull(br, msg)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			fc.Tail = 4 + m
			return nil
		}
		if err != nil {
			return err
		}
		fc.Lines++
		fc.Prefix += 4 + len(msg)
		fc.add(countProto(msg, signal, fc.Seqs))
	}
}

func (fc *fileContent) add(n int, err error) {
	if err != nil {
		fc.BadN++
		if len(fc.Bad) < 3 {
			fc.Bad = append(fc.Bad, fmt.Sprintf("record %d: %v", fc.Lines, err))
		}
		return
	}
	fc.Records += n
}

// countProto decodes one OTLP protobuf export request with pdata.
func countProto(msg []byte, signal string, seqs map[int64]int) (int, error) {
	switch signal {
	case "logs":
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(msg); err != nil {
			return 0, err
		}
		countSeqs(req.Logs(), seqs)
		return req.Logs().LogRecordCount(), nil
	case "traces":
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(msg); err != nil {
			return 0, err
		}
		return req.Traces().SpanCount(), nil
	case "metrics":
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(msg); err != nil {
			return 0, err
		}
		return req.Metrics().DataPointCount(), nil
	}
	return 0, fmt.Errorf("unknown signal %q", signal)
}

func countSeqs(ld plog.Logs, seqs map[int64]int) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if v, ok := lr.Attributes().Get(seqKey); ok {
					seqs[v.Int()]++
				}
			}
		}
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
		countSeqs(ld, seqs)
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
