// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
)

// componentStatus is the last status reported to the host.
type componentStatus int

const (
	statusNone componentStatus = iota // nothing reported yet (the service reports OK at start)
	statusOK
	statusRecoverable
)

// onBreakerChange logs and counts one breaker transition and reports the
// component status on a change. cbreaker calls it outside its lock, never
// concurrently.
func (c *core[T]) onBreakerChange(from, to cbreaker.State) {
	c.tel.pending.transitions[to].Add(1)
	fields := []zap.Field{zap.String("from", from.String()), zap.String("to", to.String())}
	switch to {
	case cbreaker.StateOpen:
		c.logger.Warn("Circuit breaker opened: deliveries paused", append(fields, zap.Time("open_until", c.breaker.OpenUntil()))...)
		c.reportStatus(statusRecoverable)
	case cbreaker.StateHalfOpen:
		c.logger.Info("Circuit breaker half-open: probing downstream", fields...)
		if s := c.q.stats(); s.mem.batches == 0 && s.diskItems == 0 {
			// Idle: the open wait is over (the breaker_state gauge read it)
			// and nothing waits for the downstream, so no error is known.
			// With data held, the next probe decides, without flapping.
			c.reportStatus(statusOK)
		}
	case cbreaker.StateClosed:
		c.logger.Info("Circuit breaker closed: deliveries resumed", fields...)
		c.reportStatus(statusOK)
	}
}

// reportStatus reports st to the host if it differs from the last report.
func (c *core[T]) reportStatus(st componentStatus) {
	l := &c.life
	l.mu.Lock()
	host := l.host
	if host == nil || l.status == st || (st == statusOK && l.status == statusNone) {
		l.mu.Unlock()
		return
	}
	l.status = st
	l.mu.Unlock()
	if st == statusRecoverable {
		componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(errBreakerOpen))
		return
	}
	componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
}
