// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// seqLoad sends numbered log records to an OTLP/gRPC endpoint from a few
// workers at a fixed pace and remembers which records were acknowledged.
type seqLoad struct {
	mu       sync.Mutex
	next     int64
	sent     int64
	refused  int64 // records in requests that did not get OK
	accepted map[int64]bool
}

// makeSeqLogs builds n records numbered first .. first+n-1.
func makeSeqLogs(first int64, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "benchrunner")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr("the quick brown fox jumps over the lazy dog: tiers benchmark record")
		lr.Attributes().PutInt(seqKey, first+int64(i))
		lr.Attributes().PutStr("app", "bench")
	}
	return ld
}

// runSeqLoad sends, from workers goroutines (worker i to endpoints[i %
// len(endpoints)]), one request of batch records every interval each, for
// duration, and returns what happened.
func runSeqLoad(ctx context.Context, endpoints []string, workers, batch int, interval, duration time.Duration) (*seqLoad, error) {
	clients := make([]plogotlp.GRPCClient, len(endpoints))
	for i, ep := range endpoints {
		cc, err := grpc.NewClient(ep, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("load client: %w", err)
		}
		defer cc.Close()
		clients[i] = plogotlp.NewGRPCClient(cc)
	}
	l := &seqLoad{accepted: map[int64]bool{}}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		client := clients[w%len(clients)]
		wg.Go(func() {
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				l.sendOne(client, batch)
			}
		})
	}
	wg.Wait()
	return l, nil
}

func (l *seqLoad) sendOne(client plogotlp.GRPCClient, batch int) {
	l.mu.Lock()
	first := l.next
	l.next += int64(batch)
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := client.Export(ctx, plogotlp.NewExportRequestFromLogs(makeSeqLogs(first, batch)))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent += int64(batch)
	if err != nil {
		l.refused += int64(batch)
		return
	}
	for i := range int64(batch) {
		l.accepted[first+i] = true
	}
}
