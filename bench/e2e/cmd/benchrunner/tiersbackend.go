// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// seqKey is the log record attribute carrying the load's sequence number.
const seqKey = "bench.seq"

// backendMode is what the fake backend does with an export request.
type backendMode int32

const (
	backendSlow     backendMode = iota // accept after the slow delay
	backendThrottle                    // RESOURCE_EXHAUSTED with RetryInfo
	backendFast                        // accept at once
)

// tiersBackend is the last tier of the tiers case: an OTLP/gRPC logs server
// on 127.0.0.1 that counts the records it accepted by sequence number.
type tiersBackend struct {
	plogotlp.UnimplementedGRPCServer
	mode      atomic.Int32
	slow      time.Duration
	throttle  time.Duration
	throttled atomic.Int64
	mu        sync.Mutex
	seqs      map[int64]int32
	addr      string
	srv       *grpc.Server
	done      chan struct{}
}

// startTiersBackend listens on a free 127.0.0.1 port and serves until stop.
func startTiersBackend(slow, throttle time.Duration) (*tiersBackend, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("backend listen: %w", err)
	}
	b := &tiersBackend{slow: slow, throttle: throttle, seqs: map[int64]int32{},
		addr: l.Addr().String(), srv: grpc.NewServer(), done: make(chan struct{})}
	plogotlp.RegisterGRPCServer(b.srv, b)
	go func() { defer close(b.done); _ = b.srv.Serve(l) }()
	return b, nil
}

func (b *tiersBackend) stop() { b.srv.Stop(); <-b.done }

func (b *tiersBackend) setMode(m backendMode) { b.mode.Store(int32(m)) }

// Export is the gRPC LogsService.
func (b *tiersBackend) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	switch backendMode(b.mode.Load()) {
	case backendThrottle:
		b.throttled.Add(1)
		st, err := status.New(codes.ResourceExhausted, "fake backend: throttling").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(b.throttle)})
		if err != nil {
			return plogotlp.NewExportResponse(), fmt.Errorf("status details: %w", err)
		}
		return plogotlp.NewExportResponse(), st.Err()
	case backendSlow:
		select {
		case <-time.After(b.slow):
		case <-ctx.Done():
			return plogotlp.NewExportResponse(), status.Error(codes.DeadlineExceeded, "fake backend: cancelled")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	rls := req.Logs().ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				if v, ok := lrs.At(k).Attributes().Get(seqKey); ok {
					b.seqs[v.Int()]++
				}
			}
		}
	}
	return plogotlp.NewExportResponse(), nil
}

// delivery compares what the backend holds with the records accepted.
type delivery struct {
	missing    int64 // accepted and never received
	duplicates int64 // receptions beyond the first
	distinct   int64 // distinct records received
}

func (b *tiersBackend) delivery(accepted map[int64]bool) delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d delivery
	for seq := range accepted {
		if b.seqs[seq] == 0 {
			d.missing++
		}
	}
	for _, n := range b.seqs {
		d.distinct++
		d.duplicates += int64(n - 1)
	}
	return d
}
