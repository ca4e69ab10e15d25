//go:build e2e

package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// logClient is a minimal OTLP/gRPC logs client whose every record carries a
// unique sequence number (attribute e2e.seq), so a test knows exactly which
// records the collector acknowledged.
type logClient struct {
	cc     *grpc.ClientConn
	client plogotlp.GRPCClient
}

func newLogClient(t *testing.T, endpoint string) *logClient {
	t.Helper()
	cc, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return &logClient{cc: cc, client: plogotlp.NewGRPCClient(cc)}
}

// makeLogs builds n log records numbered first .. first+n-1.
func makeLogs(first int64, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "e2e")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("e2e")
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range n {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Body().SetStr("end-to-end test record")
		lr.Attributes().PutInt(seqKey, first+int64(i))
		lr.Attributes().PutStr("app", "e2e")
		lr.Attributes().PutInt("index", int64(i))
	}
	return ld
}

// send exports records first .. first+n-1 and returns the gRPC status code.
func (c *logClient) send(first int64, n int) codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.client.Export(ctx, plogotlp.NewExportRequestFromLogs(makeLogs(first, n)))
	return status.Code(err)
}

// loadResult is what a load run observed, per request outcome.
type loadResult struct {
	Sent     int64              // records offered (every request)
	Accepted map[int64]bool     // sequence numbers acknowledged with OK
	Codes    map[codes.Code]int // requests by status code
	Failed   int64              // records in requests that did not get OK
}

// sender exports records first .. first+n-1 and returns the gRPC status
// code (codes.OK when the collector acknowledged them).
type sender interface {
	send(first int64, n int) codes.Code
}

// load sends batches of records in the background at a fixed pace until stopped.
type load struct {
	c     sender
	batch int
	every time.Duration
	stopC chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	res   loadResult
	next  int64
}

// startLoad sends a batch of batchSize records every interval until stop.
func startLoad(t *testing.T, c sender, batchSize int, interval time.Duration) *load {
	t.Helper()
	l := &load{
		c: c, batch: batchSize, every: interval,
		stopC: make(chan struct{}), done: make(chan struct{}),
		res: loadResult{Accepted: map[int64]bool{}, Codes: map[codes.Code]int{}},
	}
	go l.run()
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *load) run() {
	defer close(l.done)
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-l.stopC:
			return
		case <-tick.C:
		}
		first := l.next
		l.next += int64(l.batch)
		code := l.c.send(first, l.batch)
		l.mu.Lock()
		l.res.Sent += int64(l.batch)
		l.res.Codes[code]++
		if code == codes.OK {
			for i := range int64(l.batch) {
				l.res.Accepted[first+i] = true
			}
		} else {
			l.res.Failed += int64(l.batch)
		}
		l.mu.Unlock()
	}
}

// snapshot returns counts observed so far.
func (l *load) snapshot() (sent, accepted int64, codesSeen map[codes.Code]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := make(map[codes.Code]int, len(l.res.Codes))
	for k, v := range l.res.Codes {
		cs[k] = v
	}
	return l.res.Sent, int64(len(l.res.Accepted)), cs
}

// stop ends the load, waits for the request in flight and returns the result.
func (l *load) stop() loadResult {
	select {
	case <-l.stopC:
	default:
		close(l.stopC)
	}
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res
}
