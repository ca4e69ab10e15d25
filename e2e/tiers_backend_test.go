//go:build e2e

package e2e

import (
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// backendMode is what the fake backend does with an export request.
type backendMode int32

const (
	// backendSlow accepts every request after slowDelay.
	backendSlow backendMode = iota
	// backendThrottle refuses every request with a throttle: gRPC
	// RESOURCE_EXHAUSTED with RetryInfo, HTTP 429 with Retry-After.
	backendThrottle
	// backendFast accepts every request at once.
	backendFast
)

// fakeBackend is the last tier: an OTLP logs server (gRPC or HTTP) on
// 127.0.0.1 that counts every record it accepted by sequence number.
type fakeBackend struct {
	plogotlp.UnimplementedGRPCServer
	mode       atomic.Int32
	slowDelay  time.Duration
	throttle   time.Duration // the hinted delay, whole seconds for HTTP
	throttled  atomic.Int64  // requests answered with a throttle
	accepted   atomic.Int64  // requests accepted
	mu         sync.Mutex
	seqs       map[int64]int
	attempts   map[int64][]time.Time // throttled attempts by the request's first record
	addr       string
	stopServer func()
}

// startFakeBackend serves OTLP logs over proto ("grpc" or "http") until the
// test ends.
func startFakeBackend(t *testing.T, proto string, slowDelay, throttle time.Duration) *fakeBackend {
	t.Helper()
	b := &fakeBackend{slowDelay: slowDelay, throttle: throttle, seqs: map[int64]int{}, attempts: map[int64][]time.Time{}}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(freePort(t)))
	require.NoError(t, err)
	b.addr = l.Addr().String()
	done := make(chan struct{})
	if proto == "grpc" {
		s := grpc.NewServer()
		plogotlp.RegisterGRPCServer(s, b)
		go func() { defer close(done); _ = s.Serve(l) }()
		b.stopServer = s.Stop
	} else {
		mux := http.NewServeMux()
		mux.HandleFunc("/v1/logs", b.serveHTTP)
		s := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { defer close(done); _ = s.Serve(l) }()
		b.stopServer = func() { _ = s.Close() }
	}
	t.Cleanup(func() { b.stopServer(); <-done })
	return b
}

func (b *fakeBackend) setMode(m backendMode) { b.mode.Store(int32(m)) }

// admit applies the current mode to req: it returns false for a throttle,
// after the slow mode's delay otherwise.
func (b *fakeBackend) admit(ctx context.Context, req plogotlp.ExportRequest) bool {
	switch backendMode(b.mode.Load()) {
	case backendThrottle:
		b.throttled.Add(1)
		seqs := map[int64]int{}
		countSeqs(req.Logs(), seqs)
		first := int64(-1)
		for s := range seqs {
			if first < 0 || s < first {
				first = s
			}
		}
		b.mu.Lock()
		b.attempts[first] = append(b.attempts[first], time.Now())
		b.mu.Unlock()
		return false
	case backendSlow:
		select {
		case <-time.After(b.slowDelay):
		case <-ctx.Done():
		}
	}
	return true
}

func (b *fakeBackend) record(req plogotlp.ExportRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	countSeqs(req.Logs(), b.seqs)
	b.accepted.Add(1)
}

// Export is the gRPC LogsService.
func (b *fakeBackend) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	if !b.admit(ctx, req) {
		st, err := status.New(codes.ResourceExhausted, "fake backend: throttling").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(b.throttle)})
		if err != nil {
			return plogotlp.NewExportResponse(), err
		}
		return plogotlp.NewExportResponse(), st.Err()
	}
	b.record(req)
	return plogotlp.NewExportResponse(), nil
}

// serveHTTP is OTLP/HTTP logs with protobuf encoding (otlphttp's default).
func (b *fakeBackend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" { // otlphttp's default compression
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err = req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !b.admit(r.Context(), req) {
		w.Header().Set("Retry-After", strconv.Itoa(int(b.throttle/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	b.record(req)
	out, err := plogotlp.NewExportResponse().MarshalProto()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// received returns a copy of the records received, by sequence number.
func (b *fakeBackend) received() map[int64]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int64]int, len(b.seqs))
	for k, v := range b.seqs {
		out[k] = v
	}
	return out
}

// throttleGaps returns, for every request throttled more than once, the
// time between two of its consecutive throttled attempts.
func (b *fakeBackend) throttleGaps() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var gaps []time.Duration
	for _, ts := range b.attempts {
		for i := 1; i < len(ts); i++ {
			gaps = append(gaps, ts[i].Sub(ts[i-1]))
		}
	}
	return gaps
}
