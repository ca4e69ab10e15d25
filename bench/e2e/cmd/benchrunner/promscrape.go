// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample is one line of the Prometheus text format: a metric name, its
// labels and its value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is a parsed scrape of the collector's own telemetry.
type metrics []sample

// parseMetrics reads the Prometheus text exposition format. Comment lines
// and lines it cannot read are skipped: the benchmark only sums values.
func parseMetrics(r io.Reader) (metrics, error) {
	var out metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if s, ok := parseSample(line); ok {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

func parseSample(line string) (sample, bool) {
	s := sample{labels: map[string]string{}}
	var rest string
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return sample{}, false
		}
		s.name = line[:i]
		parseLabels(line[i+1:j], s.labels)
		rest = strings.TrimSpace(line[j+1:])
	} else {
		f := strings.Fields(line)
		if len(f) < 2 {
			return sample{}, false
		}
		s.name, rest = f[0], f[1]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return sample{}, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return sample{}, false
	}
	s.value = v
	return s, true
}

// parseLabels reads `a="x",b="y"`; escaped quotes inside values are kept
// verbatim, which is enough for the label values the collector emits.
func parseLabels(in string, into map[string]string) {
	for in != "" {
		eq := strings.IndexByte(in, '=')
		if eq < 0 || eq+1 >= len(in) || in[eq+1] != '"' {
			return
		}
		key := strings.TrimSpace(in[:eq])
		val := in[eq+2:]
		end := 0
		for end < len(val) && (val[end] != '"' || (end > 0 && val[end-1] == '\\')) {
			end++
		}
		if end >= len(val) {
			return
		}
		into[key] = val[:end]
		in = strings.TrimLeft(val[end+1:], ", ")
	}
}

// sum adds the values of every sample named name whose labels include all
// of match (given as key, value pairs).
func (m metrics) sum(name string, match ...string) float64 {
	var total float64
outer:
	for _, s := range m {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(match); i += 2 {
			if s.labels[match[i]] != match[i+1] {
				continue outer
			}
		}
		total += s.value
	}
	return total
}

// has reports whether any sample is named name.
func (m metrics) has(name string) bool {
	for _, s := range m {
		if s.name == name {
			return true
		}
	}
	return false
}

// byLabel sums the samples named name by the value of one label.
func (m metrics) byLabel(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range m {
		if s.name == name {
			out[s.labels[label]] += s.value
		}
	}
	return out
}

// scrape fetches and parses http://addr/metrics.
func scrape(ctx context.Context, addr string) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", addr, resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}
