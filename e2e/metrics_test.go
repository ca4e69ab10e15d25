//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
)

// Names of the resilientsink telemetry as the Prometheus endpoint exports them
// (otelcol_ prefix, counters without _total at this release).
const (
	mIncoming    = "otelcol_processor_resilientsink_incoming_items"
	mSent        = "otelcol_processor_resilientsink_sent_items"
	mDropped     = "otelcol_processor_resilientsink_dropped_items"
	mRefused     = "otelcol_processor_resilientsink_refused_items"
	mQueueItems  = "otelcol_processor_resilientsink_queue_items"
	mQueueBatch  = "otelcol_processor_resilientsink_queue_batches"
	mBreaker     = "otelcol_processor_resilientsink_breaker_state"
	mTransitions = "otelcol_processor_resilientsink_breaker_transitions"
	mFailures    = "otelcol_processor_resilientsink_send_failures"
)

// sample is one Prometheus text-format sample.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrapeResult is one scrape of a collector's telemetry endpoint.
type scrapeResult []sample

// sum adds the values of every series of name whose labels include match
// ("key", "value" pairs). A missing series sums to 0, as an unused counter.
func (s scrapeResult) sum(name string, match ...string) float64 {
	var total float64
	for _, smp := range s {
		if smp.name != name || !hasLabels(smp.labels, match) {
			continue
		}
		total += smp.value
	}
	return total
}

// int returns sum as an int64 (the values here are item counts).
func (s scrapeResult) int(name string, match ...string) int64 {
	return int64(math.Round(s.sum(name, match...)))
}

func hasLabels(labels map[string]string, match []string) bool {
	for i := 0; i+1 < len(match); i += 2 {
		if labels[match[i]] != match[i+1] {
			return false
		}
	}
	return true
}

// accounting is resilientsink's loss accounting read from one scrape.
type accounting struct {
	Incoming, Sent, Dropped, Refused, Queued int64
	DroppedBy                                map[string]int64
}

func (s scrapeResult) accounting() accounting {
	a := accounting{
		Incoming:  s.int(mIncoming),
		Sent:      s.int(mSent),
		Dropped:   s.int(mDropped),
		Refused:   s.int(mRefused),
		Queued:    s.int(mQueueItems),
		DroppedBy: map[string]int64{},
	}
	for _, smp := range s {
		if smp.name == mDropped {
			a.DroppedBy[smp.labels["reason"]] += int64(math.Round(smp.value))
		}
	}
	return a
}

// balanced reports whether incoming = sent + dropped + refused + queued.
func (a accounting) balanced() bool {
	return a.Incoming == a.Sent+a.Dropped+a.Refused+a.Queued
}

func (a accounting) String() string {
	return fmt.Sprintf("incoming=%d sent=%d dropped=%d %v refused=%d queued=%d",
		a.Incoming, a.Sent, a.Dropped, a.DroppedBy, a.Refused, a.Queued)
}

var scrapeClient = &http.Client{Timeout: 3 * time.Second}

// tryScrape fetches and parses the collector's Prometheus endpoint.
func (c *collector) tryScrape() (scrapeResult, error) {
	resp, err := scrapeClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.ports.Metrics))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: status %s", resp.Status)
	}
	return parseText(resp.Body)
}

// scrape is tryScrape that fails the test on error.
func (c *collector) scrape() scrapeResult {
	c.t.Helper()
	s, err := c.tryScrape()
	require.NoError(c.t, err, "%s: scrape telemetry", c.name)
	return s
}

// parseText parses the Prometheus text exposition format (samples only).
func parseText(r io.Reader) (scrapeResult, error) {
	var out scrapeResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		smp, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", line, err)
		}
		out = append(out, smp)
	}
	return out, sc.Err()
}

func parseSample(line string) (sample, error) {
	smp := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return smp, fmt.Errorf("no value")
	}
	smp.name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		var err error
		rest, err = parseLabels(rest[1:], smp.labels)
		if err != nil {
			return smp, err
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return smp, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return smp, err
	}
	smp.value = v
	return smp, nil
}

// parseLabels reads `k="v",...}` into labels and returns what follows '}'.
func parseLabels(s string, labels map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " ,")
		if s == "" {
			return "", fmt.Errorf("unterminated labels")
		}
		if s[0] == '}' {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return "", fmt.Errorf("bad label")
		}
		key := s[:eq]
		s = s[eq+2:]
		var val strings.Builder
		for {
			if s == "" {
				return "", fmt.Errorf("unterminated label value")
			}
			ch := s[0]
			s = s[1:]
			if ch == '"' {
				break
			}
			if ch == '\\' && s != "" {
				switch s[0] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[0])
				}
				s = s[1:]
				continue
			}
			val.WriteByte(ch)
		}
		labels[key] = val.String()
	}
}
