//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// mThrottled counts the gateway's attempts the backend throttled.
	mThrottled = "otelcol_processor_resilientsink_throttled_attempts"
	// mAgentSendFailed counts what the agent's exporter gave up on.
	mAgentSendFailed = "otelcol_exporter_send_failed_log_records"
	// retryLogMsg is exporterhelper's log line for each retry it schedules.
	retryLogMsg = "Exporting failed. Will retry the request after interval."
	// probeBase numbers the probe client's records, apart from the load's.
	probeBase = 9_000_000
	// probeRecords is the size of one probe request.
	probeRecords = 5
	// tiersHintMin and tiersHintMax are the gateway's backpressure bounds.
	tiersHintMin, tiersHintMax = time.Second, 3 * time.Second
)

// exporterFor is the upstream exporter type speaking proto ("grpc", "http").
func exporterFor(proto string) string {
	if proto == "grpc" {
		return "otlp_grpc"
	}
	return "otlphttp"
}

// endpointFor is an exporter endpoint for host:port over proto.
func endpointFor(proto, hostPort string) string {
	if proto == "grpc" {
		return hostPort + "\n    tls:\n      insecure: true"
	}
	return "http://" + hostPort
}

// tiersGatewayConfig is the gateway: resilientsink with overflow reject and
// a budget of a few batches in front of the backend, the exporter's own queue
// and retry off. Backpressure hints stay within 1s..3s to keep the test short.
func tiersGatewayConfig(proto, backend string) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 4
    memory_limit_mib: 4
    overflow: reject
    num_workers: 1
    timeout: 5s
    retry:
      enabled: true
      initial_interval: 50ms
      max_interval: 2s
      max_elapsed_time: 0s
    circuit_breaker:
      enabled: true
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
      half_open_probes: 1
      success_threshold: 1
    backpressure:
      retry_after_min: %s
      retry_after_max: %s
exporters:
  %[3]s:
    endpoint: %[4]s
    timeout: 5s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [%[3]s]
`, tiersHintMin, tiersHintMax, exporterFor(proto), endpointFor(proto, backend))
}

// tiersAgentConfig is the agent: upstream's usual exporter with its own
// sending_queue and retry_on_failure at the upstream defaults, except a
// 100ms initial_interval, so that a wait of a second or more can only come
// from the gateway's hint. Its logs are not sampled: every retry is logged.
func tiersAgentConfig(proto, gateway string) string {
	return fmt.Sprintf(`exporters:
  %[1]s:
    endpoint: %[2]s
    retry_on_failure:
      enabled: true
      initial_interval: 100ms
service:
  telemetry:
    logs:
      sampling:
        enabled: false
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [%[1]s]
`, exporterFor(proto), endpointFor(proto, gateway))
}

// TestTiersBackpressure: client -> agent (otlp exporter, its own queue and
// retry) -> gateway (resilientsink, overflow reject, a tiny budget) -> a fake
// backend that is slow, then throttles, then recovers. Over gRPC and HTTP
// between every tier: every record the agent accepted reaches the backend,
// the gateway's refusals carry RetryInfo / Retry-After and the agent waits
// them out, and the gateway obeys the backend's throttles without opening
// its breaker.
func TestTiersBackpressure(t *testing.T) {
	for _, proto := range []string{"grpc", "http"} {
		t.Run(proto, func(t *testing.T) { testTiers(t, proto) })
	}
}

func testTiers(t *testing.T, proto string) {
	backend := startFakeBackend(t, proto, 300*time.Millisecond, time.Second)
	gw := newCollector(t, "gateway", tiersGatewayConfig(proto, backend.addr))
	gw.start()
	gwEndpoint := gw.grpcEndpoint()
	if proto == "http" {
		gwEndpoint = gw.httpEndpoint()
	}
	agent := newCollector(t, "agent", tiersAgentConfig(proto, gwEndpoint))
	agent.start()

	l := startLoad(t, newLogClient(t, agent.grpcEndpoint()), 10, 20*time.Millisecond)
	eventually(t, 20*time.Second, "the slow backend to fill the gateway (refused_items > 0)", func() bool {
		s, err := gw.tryScrape()
		return err == nil && s.int(mRefused) > 0
	})
	probeGateway(t, gw, proto)

	backend.setMode(backendThrottle)
	eventually(t, 20*time.Second, "the gateway to retry throttled batches", func() bool {
		s, err := gw.tryScrape()
		return err == nil && s.int(mThrottled) >= 5 && len(backend.throttleGaps()) >= 3
	})
	// The gateway retries a throttled batch no sooner than the backend asked
	// (1s; a few ms of slack for the two clocks' reading points).
	for _, gap := range backend.throttleGaps() {
		assert.GreaterOrEqual(t, gap, backend.throttle-20*time.Millisecond, "a throttled batch retried sooner than hinted")
	}
	s := gw.scrape()
	assert.Zero(t, s.int(mBreaker), "breaker closed while the backend throttles")
	assert.Zero(t, s.int(mTransitions, "state", "open"), "throttles opened the breaker")

	backend.setMode(backendFast)
	res := l.stop()
	t.Logf("client: sent %d, accepted by the agent %d, codes %v", res.Sent, len(res.Accepted), res.Codes)
	require.NotEmpty(t, res.Accepted)

	var got map[int64]int
	eventually(t, 40*time.Second, "the backend to hold every record the agent accepted", func() bool {
		got = backend.received()
		return missingFrom(got, res.Accepted) == 0
	})
	refused := reportTiers(t, gw, agent, backend, res, got)
	retries := requireAgentObeyedHints(t, agent)
	// Every request of the agent the gateway refused (10 records each; the
	// one refused probe held probeRecords) came back as one hinted retry.
	assert.Equal(t, (refused-probeRecords)/10, int64(retries), "agent retries against gateway refusals")
}

// probeGateway sends probe requests straight to the full gateway until one
// is refused, and checks the refusal says when to come back.
func probeGateway(t *testing.T, gw *collector, proto string) {
	t.Helper()
	c := newLogClient(t, gw.grpcEndpoint())
	var seq int64 = probeBase
	eventually(t, 20*time.Second, "a probe to be refused by the full gateway", func() bool {
		seq += probeRecords
		if proto == "http" {
			code, secs := postLogsRetryAfter(t, gw.httpEndpoint(), seq, probeRecords)
			if code == 200 {
				return false
			}
			assert.Equal(t, 429, code)
			assert.GreaterOrEqual(t, secs, int(tiersHintMin/time.Second), "Retry-After")
			assert.LessOrEqual(t, secs, int(tiersHintMax/time.Second), "Retry-After")
			return true
		}
		code, d := probeGRPC(c, seq, probeRecords)
		if code == codes.OK {
			return false
		}
		assert.Equal(t, codes.ResourceExhausted, code)
		assert.GreaterOrEqual(t, d, tiersHintMin, "RetryInfo")
		assert.LessOrEqual(t, d, tiersHintMax, "RetryInfo")
		return true
	})
}

// probeGRPC exports records first .. first+n-1 and returns the status code
// and the delay of its RetryInfo (0 without one).
func probeGRPC(c *logClient, first int64, n int) (codes.Code, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.client.Export(ctx, plogotlp.NewExportRequestFromLogs(makeLogs(first, n)))
	st := status.Convert(err)
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return st.Code(), ri.GetRetryDelay().AsDuration()
		}
	}
	return st.Code(), 0
}

// reportTiers logs and checks the accounting of the run: nothing the agent
// accepted is lost, the agent gave up on nothing, duplicates are reported.
// It returns the gateway's refused_items.
func reportTiers(t *testing.T, gw, agent *collector, b *fakeBackend, res loadResult, got map[int64]int) int64 {
	t.Helper()
	var dups, extra int
	for seq, n := range got {
		switch {
		case seq >= probeBase:
		case !res.Accepted[seq]:
			extra++
		case n > 1:
			dups += n - 1
		}
	}
	gs, as := gw.scrape(), agent.scrape()
	t.Logf("backend: %d requests accepted, %d throttled; records: %d distinct, %d duplicates, %d not acknowledged to the client",
		b.accepted.Load(), b.throttled.Load(), len(got), dups, extra)
	t.Logf("gateway: %s; throttled_attempts %d", gs.accounting(), gs.int(mThrottled))
	assert.Zero(t, missingFrom(got, res.Accepted), "records the agent accepted and the backend never got")
	assert.Zero(t, gs.accounting().Dropped, "gateway dropped")
	assert.Positive(t, gs.int(mRefused), "gateway refused_items")
	assert.Positive(t, gs.int(mThrottled), "gateway throttled_attempts")
	assert.Zero(t, gs.int(mTransitions, "state", "open"), "the breaker opened")
	assert.Zero(t, as.int(mAgentSendFailed), "records the agent's exporter gave up on")
	return gs.int(mRefused)
}

var throttleRe = regexp.MustCompile(`Throttle \(([^)]+)\)`)

// requireAgentObeyedHints reads the agent exporter's retry log lines: each
// retry of a refusal by the gateway carries the gateway's hint (exporterhelper's
// throttle), within the gateway's bounds, and the agent waited at least that
// long (its own backoff would have been 100ms..).
// It returns how many retries it read.
func requireAgentObeyedHints(t *testing.T, agent *collector) int {
	t.Helper()
	entries := agent.logEntries(retryLogMsg)
	require.NotEmpty(t, entries, "the agent never retried: the gateway refused nothing to it")
	var hinted int
	for _, e := range entries {
		errText, _ := e["error"].(string)
		m := throttleRe.FindStringSubmatch(errText)
		if !assert.NotNil(t, m, "a refusal without RetryInfo / Retry-After: %s", errText) {
			continue
		}
		hint, err := time.ParseDuration(m[1])
		require.NoError(t, err)
		wait, err := time.ParseDuration(fmt.Sprint(e["interval"]))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, hint, tiersHintMin, "hint %s", errText)
		assert.LessOrEqual(t, hint, tiersHintMax, "hint %s", errText)
		assert.GreaterOrEqual(t, wait, hint, "the agent retried sooner than hinted")
		assert.True(t, strings.Contains(errText, "ResourceExhausted") || strings.Contains(errText, "429"), "refusal: %s", errText)
		hinted++
	}
	t.Logf("agent: %d retries, each after the gateway's hint", hinted)
	return len(entries)
}
