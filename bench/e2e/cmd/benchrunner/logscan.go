// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// logScan is what the collector's own JSON log lines say about loss.
type logScan struct {
	warnOrError int    // lines at warn level or above
	dropLines   int    // lines that carry a dropped_* count
	droppedSum  int64  // sum of the dropped_items and dropped_<reason> fields
	shutdownMsg string // the first error message that mentions items dropped
}

// scanLogs reads the collector log at path from offset on. Lines that are not
// JSON (the collector prints a few plain lines at start) are skipped.
func scanLogs(path string, offset int64) (logScan, error) {
	var s logScan
	f, err := os.Open(path)
	if err != nil {
		return s, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return s, fmt.Errorf("seek log: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		s.add(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("read log: %w", err)
	}
	return s, nil
}

func (s *logScan) add(line []byte) {
	var rec map[string]any
	if json.Unmarshal(line, &rec) != nil {
		if s.shutdownMsg == "" && strings.Contains(string(line), "items dropped") {
			s.shutdownMsg = strings.TrimSpace(string(line))
		}
		return
	}
	switch rec["level"] {
	case "warn", "error", "dpanic", "panic", "fatal":
		s.warnOrError++
	}
	counted := false
	for k, v := range rec {
		n, ok := v.(float64)
		if !ok || !strings.HasPrefix(k, "dropped_") {
			continue
		}
		s.droppedSum += int64(n)
		counted = true
	}
	if counted {
		s.dropLines++
	}
	if e, ok := rec["error"].(string); ok && s.shutdownMsg == "" && strings.Contains(e, "items dropped") {
		s.shutdownMsg = e
	}
}

// rssSampler records the largest VmRSS of a running collector.
type rssSampler struct {
	mu   sync.Mutex
	peak int64
	quit chan struct{}
	wg   sync.WaitGroup
}

func newRSSSampler(c *collector) *rssSampler {
	s := &rssSampler{quit: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			if kib, err := c.rssKiB(); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, kib)
				s.mu.Unlock()
			}
			select {
			case <-s.quit:
				return
			case <-c.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

func (s *rssSampler) peakMiB() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.peak) / 1024
}

func (s *rssSampler) stop() {
	close(s.quit)
	s.wg.Wait()
}
