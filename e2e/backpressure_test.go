//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestBackpressureLosesNothing: with overflow reject (or block, after
// block_timeout) and B down, A's small queue fills and the client gets
// RESOURCE_EXHAUSTED with RetryInfo (HTTP 429 with Retry-After) for what does
// not fit; once B is back, every record
// the client got OK for is in B's files exactly once, and A dropped nothing.
func TestBackpressureLosesNothing(t *testing.T) {
	for _, overflow := range []string{"reject", "block"} {
		t.Run(overflow, func(t *testing.T) {
			testBackpressure(t, "processors:\n  resilientsink:\n    queue_size: 10\n    overflow: "+overflow+"\n    block_timeout: 200ms\n")
		})
	}
}

func testBackpressure(t *testing.T, override string) {
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()), override)
	b.start()
	a.start()
	l := startLoad(t, newLogClient(t, a.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "B to write records before the outage", func() bool {
		return mustReadFile(t, b.outFile("logs"), "logs").Records >= 1000
	})

	b.stop(30 * time.Second)
	eventually(t, 30*time.Second, "the client to see 10 RESOURCE_EXHAUSTED responses", func() bool {
		_, _, cs := l.snapshot()
		return cs[codes.ResourceExhausted] >= 10
	})
	s := a.scrape()
	assert.Equal(t, int64(2), s.int(mBreaker), "breaker open while B is down")
	assert.Positive(t, s.int(mRefused), "refused_items while the queue is full")
	// The refusal says when to come back, within backpressure's bounds
	// (defaults 1s..30s): RetryInfo over gRPC, Retry-After over HTTP (429).
	delay := exportRetryDelay(t, a.grpcEndpoint(), 3_000_000, 5)
	assert.GreaterOrEqual(t, delay, time.Second)
	assert.LessOrEqual(t, delay, 30*time.Second)
	const httpRecords = 5 + 5
	code, retryAfter := postLogsRetryAfter(t, a.httpEndpoint(), 2_000_000, 5)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.GreaterOrEqual(t, retryAfter, 1)
	assert.LessOrEqual(t, retryAfter, 30)

	b.start()
	_, okAtRestart, _ := l.snapshot()
	eventually(t, 60*time.Second, "the client to get OK again after B is back", func() bool {
		_, acc, _ := l.snapshot()
		return acc >= okAtRestart+1000
	})
	res := l.stop()
	t.Logf("client: sent %d, accepted %d, failed %d, codes %v", res.Sent, len(res.Accepted), res.Failed, res.Codes)
	for code := range res.Codes {
		assert.Contains(t, []codes.Code{codes.OK, codes.ResourceExhausted}, code, "status codes seen by the client")
	}

	var acc accounting
	eventually(t, 60*time.Second, "A to drain its queue", func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		acc = s.accounting()
		return acc.Queued == 0 && acc.Incoming == res.Sent+httpRecords && acc.balanced()
	})
	t.Logf("A: %s", acc)
	assert.Zero(t, acc.Dropped, "dropped: %v", acc.DroppedBy)
	assert.Equal(t, res.Failed+httpRecords, acc.Refused, "A's refused_items = records the clients got an error for")
	assert.Equal(t, int64(len(res.Accepted)), acc.Sent)

	var fc fileContent
	eventually(t, 30*time.Second, "B's file to hold every accepted record", func() bool {
		fc = mustReadFile(t, b.outFile("logs"), "logs")
		return fc.Records >= len(res.Accepted)
	})
	require.Positive(t, res.Failed, "the client must have been refused")
	requireExactlyOnce(t, fc, res.Accepted)
}

// postLogs sends records first .. first+n-1 as one OTLP/HTTP JSON request and
// returns the HTTP status.
// postLogsRetryAfter is postLogs, also returning the Retry-After header in
// seconds (-1 when absent or not a number).
func postLogsRetryAfter(t *testing.T, endpoint string, first int64, n int) (int, int) {
	t.Helper()
	body, err := plogotlp.NewExportRequestFromLogs(makeLogs(first, n)).MarshalJSON()
	require.NoError(t, err)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post("http://"+endpoint+"/v1/logs", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil {
		secs = -1
	}
	return resp.StatusCode, secs
}

// exportRetryDelay exports records first .. first+n-1 over gRPC, expects
// RESOURCE_EXHAUSTED, and returns the delay of its RetryInfo.
func exportRetryDelay(t *testing.T, endpoint string, first int64, n int) time.Duration {
	t.Helper()
	c := newLogClient(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.client.Export(ctx, plogotlp.NewExportRequestFromLogs(makeLogs(first, n)))
	st := status.Convert(err)
	require.Equal(t, codes.ResourceExhausted, st.Code(), "status: %v", st)
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	t.Fatalf("no RetryInfo in %v", st)
	return 0
}
