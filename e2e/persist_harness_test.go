//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// Names of the persistence telemetry (counters without _total at this
// release, like the others in metrics_test.go).
const (
	mSpilled   = "otelcol_processor_resilientsink_spilled_items"
	mReplayed  = "otelcol_processor_resilientsink_replayed_items"
	mDiskItems = "otelcol_processor_resilientsink_disk_items"
	mDiskBytes = "otelcol_processor_resilientsink_disk_bytes"
	mDiskLimit = "otelcol_processor_resilientsink_disk_limit_bytes"
)

// spoolSubdir is where persistForwarderConfig keeps the spool, below the
// collector's directory.
const spoolSubdir = "spool"

// persistForwarderConfig is a collector that forwards traces through
// resilientsink (persistence on, in mode, below @DIR@/spool) to the
// OTLP/gRPC endpoint downstream. The memory queue is small (20 batches) so
// that a few seconds of outage fill it and the disk tier takes the rest.
// Retry and breaker timings are short, as in forwarderConfig.
func persistForwarderConfig(downstream, mode string) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 20
    memory_limit_mib: 1
    overflow: drop_oldest
    num_workers: 1
    timeout: 5s
    retry:
      enabled: true
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 0s
    circuit_breaker:
      enabled: true
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
      half_open_probes: 1
      success_threshold: 1
    shutdown:
      strategy: graceful
      timeout: 2s
    persistence:
      directory: "@DIR@/%s"
      mode: %s
      max_megabytes: 256
      sync: true
exporters:
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    timeout: 5s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [otlp_grpc]
`, spoolSubdir, mode, downstream)
}

// instanceDir is the folder of one resilientsink instance below the
// persistence directory: the component ID with "/" replaced by "_", a dash
// and the signal.
func instanceDir(directory, id, signal string) string {
	return filepath.Join(directory, strings.ReplaceAll(id, "/", "_")+"-"+signal)
}

// tracesSpoolDir is the instance folder of persistForwarderConfig's traces
// pipeline in collector c.
func (c *collector) tracesSpoolDir() string {
	return instanceDir(filepath.Join(c.dir, spoolSubdir), "resilientsink", "traces")
}

// persistAccounting is resilientsink's accounting including the disk tier.
type persistAccounting struct {
	accounting
	Spilled, Replayed, DiskItems, DiskBytes, DiskLimit int64
}

func (s scrapeResult) persistAccounting() persistAccounting {
	return persistAccounting{
		accounting: s.accounting(),
		Spilled:    s.int(mSpilled),
		Replayed:   s.int(mReplayed),
		DiskItems:  s.int(mDiskItems),
		DiskBytes:  s.int(mDiskBytes),
		DiskLimit:  s.int(mDiskLimit),
	}
}

// balanced reports whether incoming + replayed = sent + dropped + refused +
// queued, where queued is what memory and disk hold.
func (a persistAccounting) balanced() bool {
	return a.Incoming+a.Replayed == a.Sent+a.Dropped+a.Refused+a.Queued+a.DiskItems
}

func (a persistAccounting) String() string {
	return fmt.Sprintf("%s spilled=%d replayed=%d disk_items=%d disk_bytes=%d disk_limit=%d",
		a.accounting, a.Spilled, a.Replayed, a.DiskItems, a.DiskBytes, a.DiskLimit)
}

// spanClient is a minimal OTLP/HTTP (protobuf) traces client, like an
// exporter without queue or retry: each span carries its sequence number in
// its span ID (big-endian seq+1) and in the attribute e2e.seq, so a test
// knows exactly which spans the collector acknowledged (HTTP 200).
type spanClient struct {
	url string
	hc  *http.Client
	pad int // bytes of an extra attribute per span, to make spans bigger
}

func newSpanClient(t *testing.T, httpEndpoint string, pad int) *spanClient {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &spanClient{
		url: "http://" + httpEndpoint + "/v1/traces",
		hc:  &http.Client{Transport: tr, Timeout: 10 * time.Second},
		pad: pad,
	}
}

// send exports spans first .. first+n-1; the result is codes.OK only when the
// collector answered 200.
func (c *spanClient) send(first int64, n int) codes.Code {
	body, err := ptraceotlp.NewExportRequestFromTraces(makeSpans(first, n, c.pad)).MarshalProto()
	if err != nil {
		return codes.Internal
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return codes.Internal
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := c.hc.Do(req)
	if err != nil {
		return codes.Unavailable
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return codes.OK
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codes.Unavailable
	default:
		return codes.Unknown
	}
}

// spanIDOf is the span ID of sequence number seq.
func spanIDOf(seq int64) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], uint64(seq)+1)
	return id
}

// seqOf is the sequence number of a span ID made by spanIDOf.
func seqOf(id pcommon.SpanID) int64 { return int64(binary.BigEndian.Uint64(id[:])) - 1 }

// makeSpans builds spans first .. first+n-1, each with pad bytes of padding.
func makeSpans(first int64, n, pad int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "e2e")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e")
	now := time.Now()
	padding := strings.Repeat("p", pad)
	for i := range n {
		seq := first + int64(i)
		sp := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		copy(tid[:8], "e2etrace")
		binary.BigEndian.PutUint64(tid[8:], uint64(seq)+1)
		sp.SetTraceID(tid)
		sp.SetSpanID(spanIDOf(seq))
		sp.SetName("e2e span")
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		sp.Attributes().PutInt(seqKey, seq)
		if pad > 0 {
			sp.Attributes().PutStr("pad", padding)
		}
	}
	return td
}

// addSpanSeqs counts the span IDs of td by sequence number.
func addSpanSeqs(td ptrace.Traces, seqs map[int64]int) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				seqs[seqOf(sp.SpanID())]++
			}
		}
	}
}

// readSpanOrder reads the complete lines of a filesink traces file
// (OTLP/JSON) and returns the sequence numbers of its spans in file order. A
// missing file is empty; a line that does not parse is an error.
func readSpanOrder(path string) ([]int64, error) {
	var order []int64
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var u ptrace.JSONUnmarshaler
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return order, nil // a line still being written is not complete
		}
		if err != nil {
			return nil, err
		}
		td, err := u.UnmarshalTraces(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					order = append(order, seqOf(sp.SpanID()))
				}
			}
		}
	}
}

// readSpanSeqs is readSpanOrder counted by sequence number.
func readSpanSeqs(path string) (map[int64]int, error) {
	order, err := readSpanOrder(path)
	if err != nil {
		return nil, err
	}
	seqs := make(map[int64]int, len(order))
	for _, seq := range order {
		seqs[seq]++
	}
	return seqs, nil
}

// outOfOrder counts the spans of order that come after a span with a higher
// sequence number, not counting second copies (at-least-once redelivery).
func outOfOrder(order []int64) int {
	seen := make(map[int64]bool, len(order))
	n := 0
	highest := int64(-1)
	for _, seq := range order {
		if seen[seq] {
			continue
		}
		seen[seq] = true
		if seq < highest {
			n++
		}
		highest = max(highest, seq)
	}
	return n
}

// mustReadSpans is readSpanSeqs that fails the test on error.
func mustReadSpans(t *testing.T, path string) map[int64]int {
	t.Helper()
	seqs, err := readSpanSeqs(path)
	require.NoError(t, err)
	return seqs
}

// missingFrom counts the members of want that got does not hold.
func missingFrom(got map[int64]int, want map[int64]bool) int {
	n := 0
	for seq := range want {
		if got[seq] == 0 {
			n++
		}
	}
	return n
}

// extraIn counts the members of got that want does not hold.
func extraIn(got map[int64]int, want map[int64]bool) int {
	n := 0
	for seq := range got {
		if !want[seq] {
			n++
		}
	}
	return n
}

// spanCount is the number of spans in seqs, copies included.
func spanCount(seqs map[int64]int) int64 {
	var n int64
	for _, c := range seqs {
		n += int64(c)
	}
	return n
}

// duplicates counts the extra copies in seqs (a span there 3 times counts 2).
func duplicates(seqs map[int64]int) int {
	n := 0
	for _, c := range seqs {
		if c > 1 {
			n += c - 1
		}
	}
	return n
}

// spoolContent is what an instance's spool folders hold, read frame by frame.
type spoolContent struct {
	Frames   int
	Items    int64         // sum of the frames' item counts (their headers)
	Seqs     map[int64]int // spans by sequence number, decoded from the payloads
	Problems []spool.Problem
}

// readSpool reads the pending frames of an instance folder, head/ then tail/,
// with internal/spool, and decodes every payload on its own with pdata's
// proto unmarshaler. It works on a copy, so the folder is left as it was
// (Open may record problems and takes the lock).
func readSpool(t *testing.T, dir string) spoolContent {
	t.Helper()
	sc := spoolContent{Seqs: map[int64]int{}}
	found := 0
	for _, sub := range []string{"head", "tail"} {
		src := filepath.Join(dir, sub)
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			continue
		}
		found++
		cp := filepath.Join(t.TempDir(), sub)
		copyDir(t, src, cp)
		s, err := spool.Open(spool.Settings{Dir: cp, MaxBytes: 1 << 40, OnProblem: func(p spool.Problem) {
			sc.Problems = append(sc.Problems, p)
		}})
		require.NoError(t, err, "open a copy of %s", src)
		var u ptrace.ProtoUnmarshaler
		for {
			f, ok, err := s.Next(nil)
			require.NoError(t, err, "read %s", src)
			if !ok {
				break
			}
			td, err := u.UnmarshalTraces(f.Payload)
			require.NoError(t, err, "frame %s of %s: payload does not decode as OTLP protobuf", f.ID, src)
			require.Equal(t, int(f.Items), td.SpanCount(), "frame %s of %s: header items vs spans in the payload", f.ID, src)
			sc.Frames++
			sc.Items += int64(f.Items)
			addSpanSeqs(td, sc.Seqs)
		}
		require.NoError(t, s.Close())
	}
	require.Positive(t, found, "neither head/ nor tail/ in %s", dir)
	return sc
}

// copyDir copies the regular files of src into a new folder dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o700))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
}
