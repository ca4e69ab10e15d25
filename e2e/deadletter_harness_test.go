//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const (
	// mDeadLettered counts the items resilientsink kept as dead letters.
	mDeadLettered = "otelcol_processor_resilientsink_dead_lettered_items"
	// mDeadLetterBytes and mDeadLetterLimit are the dead-letter folder's
	// size and budget.
	mDeadLetterBytes = "otelcol_processor_resilientsink_dead_letter_bytes"
	mDeadLetterLimit = "otelcol_processor_resilientsink_dead_letter_limit_bytes"
	// mReplayRemaining is the replay receiver's items left to replay.
	mReplayRemaining = "otelcol_receiver_replay_remaining_items"
	// mReplayItems counts the items the replay receiver's pipeline accepted.
	mReplayItems = "otelcol_receiver_replay_items"
	// rejectKey marks a record the fake backend refuses with HTTP 400.
	rejectKey = "e2e.reject"
	// rejectMessage is the fake backend's message for a refused batch.
	rejectMessage = "e2e backend: attribute e2e.reject cannot be indexed"
)

// otlpBackend is a fake OTLP/HTTP logs backend. It answers HTTP 400 (with a
// google.rpc.Status carrying rejectMessage) to a request holding a record
// marked with rejectKey when rejecting is on, and 200 to every other one,
// keeping what it accepted per URL path.
type otlpBackend struct {
	l         net.Listener
	srv       *http.Server
	rejecting bool
	// onLogs, if set, sees every accepted request instead of it being kept.
	onLogs func(path string, ld plog.Logs)
	// delay, if set, is how long the backend takes to accept a request (a
	// slow backend that just recovered).
	delay time.Duration
	// unavailable is how many requests, from the first, are answered 503.
	unavailable int

	mu       sync.Mutex
	got      map[string][]plog.Logs
	rejected int
	requests int
}

// startBackend serves an otlpBackend on a test port until the test ends.
func startBackend(t *testing.T, rejecting bool, onLogs func(string, plog.Logs)) *otlpBackend {
	t.Helper()
	return serveBackend(t, &otlpBackend{rejecting: rejecting, onLogs: onLogs})
}

// serveBackend serves b (rejecting, onLogs, delay and unavailable set by the caller) on a test
// port until the test ends.
func serveBackend(t *testing.T, b *otlpBackend) *otlpBackend {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	require.NoError(t, err)
	b.l, b.got = l, map[string][]plog.Logs{}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.srv.Serve(l)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
		<-done
	})
	return b
}

// url is the backend's base URL.
func (b *otlpBackend) url() string { return "http://" + b.l.Addr().String() }

// ServeHTTP decodes one OTLP/HTTP protobuf logs request and answers it.
func (b *otlpBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ld := req.Logs()
	w.Header().Set("Content-Type", "application/x-protobuf")
	b.mu.Lock()
	b.requests++
	down := b.requests <= b.unavailable
	b.mu.Unlock()
	if down {
		st, _ := proto.Marshal(status.New(codes.Unavailable, "e2e backend: starting").Proto())
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(st)
		return
	}
	if b.rejecting && marked(ld) {
		b.mu.Lock()
		b.rejected++
		b.mu.Unlock()
		st, _ := proto.Marshal(status.New(codes.InvalidArgument, rejectMessage).Proto())
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(st)
		return
	}
	if b.delay > 0 {
		time.Sleep(b.delay) // a slow backend, not a wait for a condition
	}
	if b.onLogs != nil {
		b.onLogs(r.URL.Path, ld)
	} else {
		b.mu.Lock()
		b.got[r.URL.Path] = append(b.got[r.URL.Path], ld)
		b.mu.Unlock()
	}
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(resp)
}

// readBody reads a request body in the encodings the otlphttp exporter uses.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return io.ReadAll(zr)
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		return io.ReadAll(zr)
	default:
		return nil, errors.New("unsupported encoding " + r.Header.Get("Content-Encoding"))
	}
}

// batches returns a copy of what the backend accepted on path.
func (b *otlpBackend) batches(path string) []plog.Logs {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]plog.Logs(nil), b.got[path]...)
}

// seqs counts the records accepted on path by sequence number.
func (b *otlpBackend) seqs(path string) map[int64]int {
	seqs := map[int64]int{}
	for _, ld := range b.batches(path) {
		countSeqs(ld, seqs)
	}
	return seqs
}

// exportLogs sends ld to the collector's OTLP/gRPC receiver and returns the
// status code.
func (c *logClient) exportLogs(ld plog.Logs) codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.client.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	return status.Code(err)
}

// otlpHTTPExporter is an otlp_http exporter section (under exporters:) with
// its own queue and retry off: resilientsink and the replay receiver do that.
func otlpHTTPExporter(id, logsURL string) string {
	return fmt.Sprintf(`  %s:
    logs_endpoint: %s
    timeout: 5s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
`, id, logsURL)
}
