//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
)

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
