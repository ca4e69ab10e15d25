// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/require"
)

// replayRun drives collector A and feeds each scrape to every replay.
type replayRun struct {
	t       *testing.T
	a       *collector
	replays []*Replay
	tick    *time.Ticker
	last    *Scrape
	// firing[i] is what replay i fired at the last step, as "alert who".
	firing []map[string]bool
}

// step takes one scrape (or records a failed one once A is gone) and
// evaluates the rules in every replay.
func (r *replayRun) step() {
	r.t.Helper()
	<-r.tick.C
	s, err := r.a.tryScrape()
	if err != nil {
		s = nil
	}
	r.last = s
	for i, rp := range r.replays {
		_, fs, aerr := rp.Add(r.t.Context(), s, r.a.target())
		require.NoError(r.t, aerr)
		r.firing[i] = map[string]bool{}
		for _, f := range fs {
			r.firing[i][f.Alert+" "+f.Labels.Get("processor")+f.Labels.Get("exporter")] = true
			if f.Alert == "ResilientSinkItemsDropped" {
				r.firing[i][f.Alert+" "+f.Labels.Get("processor")+" "+f.Labels.Get("reason")] = true
			}
		}
	}
}

// until steps until cond holds for every replay, at most n steps; it
// reports whether it did, and logs after how many scrapes.
func (r *replayRun) until(what string, n int, cond func(firing map[string]bool) bool) bool {
	for i := range n {
		r.step()
		if !slices.ContainsFunc(r.firing, func(f map[string]bool) bool { return !cond(f) }) {
			r.t.Logf("%s after %d scrapes (%s at 15 s, %s at 30 s)", what, i+1,
				time.Duration(i+1)*15*time.Second, time.Duration(i+1)*30*time.Second)
			return true
		}
	}
	return false
}

func fires(key string) func(map[string]bool) bool {
	return func(f map[string]bool) bool { return f[key] }
}

// tryScrape is scrape without failing the test: a dead collector's scrape fails.
func (c *collector) tryScrape() (*Scrape, error) {
	resp, err := scrapeClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.metric))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseScrape(b, time.Now(), c.target())
}

// postLogs sends one OTLP/HTTP logs request of n records to 127.0.0.1:port
// and returns the status code.
func postLogs(t *testing.T, port, n int) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/v1/logs", port), "application/json", bytes.NewReader(logsBody(n)))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

// value returns the value of the series of name whose labels include kv
// (pairs), or -1 when s is nil or has none.
func value(s *Scrape, name string, kv ...string) float64 {
	if s == nil {
		return -1
	}
	for _, smp := range s.Series {
		if smp.Labels.Get("__name__") != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			ok = ok && smp.Labels.Get(kv[i]) == kv[i+1]
		}
		if ok {
			return smp.Value
		}
	}
	return -1
}

// accountingExpr is the accounting panel's query with the variables on All.
func accountingExpr(t *testing.T) string {
	t.Helper()
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, "Accounting") {
			expr, serr := Substitute(p.Targets[0].Expr, evalVars)
			require.NoError(t, serr)
			return expr
		}
	}
	t.Fatal("no accounting panel")
	return ""
}

// accountingZero reports whether expr returns 0 for each of the replay's
// three resilientsink instances at its last scrape.
func accountingZero(t *testing.T, rp *Replay, expr string) bool {
	t.Helper()
	vec, err := Instant(t.Context(), NewEngine(), rp.Store, expr, rp.Last)
	require.NoError(t, err)
	return len(vec) == 3 && !slices.ContainsFunc(vec, func(s promql.Sample) bool { return s.F != 0 })
}
