// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// logsBody is an OTLP/JSON logs request of n records, each about 200 bytes.
func logsBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"monitoringtest"}}]},"scopeLogs":[{"scope":{"name":"monitoringtest"},"logRecords":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"timeUnixNano":"%d","severityNumber":9,"severityText":"Info","body":{"stringValue":"record %d %s"}}`,
			time.Now().UnixNano(), i, strings.Repeat("x", 120))
	}
	b.WriteString(`]}]}]}`)
	return []byte(b.String())
}

// load posts one logs request to an OTLP/HTTP endpoint every interval until
// stop; it counts the answers.
type load struct {
	stopCh     chan struct{}
	once       sync.Once
	wg         sync.WaitGroup
	ok, failed atomic.Int64
}

func startLoad(endpoint string, records int, interval time.Duration) *load {
	l := &load{stopCh: make(chan struct{})}
	body := logsBody(records)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	l.wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-l.stopCh:
				return
			case <-tick.C:
			}
			resp, err := client.Post("http://"+endpoint+"/v1/logs", "application/json", bytes.NewReader(body))
			if err != nil {
				l.failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				l.ok.Add(1)
			} else {
				l.failed.Add(1)
			}
		}
	})
	return l
}

func (l *load) stop() {
	l.once.Do(func() { close(l.stopCh) })
	l.wg.Wait()
}
