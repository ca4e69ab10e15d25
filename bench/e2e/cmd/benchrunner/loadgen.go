// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// load is one telemetrygen workload: log records, gRPC, batches of batch.
type load struct {
	name     string  // "unlimited" or "fixed"
	workers  int     // telemetrygen --workers
	rate     float64 // records per second per worker; 0 = unlimited
	batch    int     // records per export request
	duration time.Duration
}

// total is the intended records per second of a fixed-rate load.
func (l load) total() float64 { return l.rate * float64(l.workers) }

func (l load) String() string {
	if l.rate == 0 {
		return fmt.Sprintf("unlimited rate, %d workers, %d-record batches, %s", l.workers, l.batch, l.duration)
	}
	return fmt.Sprintf("fixed %.0f records/s (%d workers × %.0f/s), %d-record batches, %s",
		l.total(), l.workers, l.rate, l.batch, l.duration)
}

// loadResult is what one telemetrygen run did.
type loadResult struct {
	generated int64         // records the workers produced (sum of "logs generated")
	errors    int           // export errors it logged (with --allow-export-failures)
	wall      time.Duration // from start to exit
}

var (
	generatedRe = regexp.MustCompile(`logs generated.*"logs":\s*(\d+)`)
	exportErrRe = regexp.MustCompile(`exporter failed|failed to export`)
)

// runLoad runs telemetrygen against endpoint and waits for it to exit. With
// allowFailures, export errors are logged and counted instead of ending it.
func runLoad(ctx context.Context, bin, endpoint string, l load, allowFailures bool, logPath string) (loadResult, error) {
	args := []string{
		"logs",
		"--otlp-endpoint", endpoint,
		"--otlp-insecure",
		"--workers", strconv.Itoa(l.workers),
		"--rate", strconv.FormatFloat(l.rate, 'f', -1, 64),
		"--duration", l.duration.String(),
		"--batch=true",
		"--batch-size", strconv.Itoa(l.batch),
	}
	if allowFailures {
		args = append(args, "--allow-export-failures")
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return loadResult{}, fmt.Errorf("create telemetrygen log: %w", err)
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	runErr := cmd.Run()
	res := loadResult{wall: time.Since(t0)}
	out, err := os.ReadFile(logPath)
	if err != nil {
		return res, fmt.Errorf("read telemetrygen log: %w", err)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if m := generatedRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			res.generated += n
		}
		if exportErrRe.MatchString(line) {
			res.errors++
		}
	}
	if runErr != nil {
		return res, fmt.Errorf("telemetrygen: %w; log: %s", runErr, tail(logPath, 1500))
	}
	return res, nil
}
