// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"errors"
	"time"
)

// errAbandoned is returned for a batch not written because Shutdown gave up
// on a blocked output.
var errAbandoned = errors.New("output abandoned at shutdown (blocked writer)")

// writeDeadliner is an output whose blocked Write can be cut short: an
// *os.File for a pipe, socket or terminal that Go's poller manages (os.Pipe,
// or a standard stream that was already non-blocking at start).
// SetWriteDeadline returns os.ErrNoDeadline for a plain blocking stdout.
type writeDeadliner interface {
	SetWriteDeadline(t time.Time) error
}

// writeOut makes the one Write call of a batch, unless Shutdown has
// abandoned the output. Callers MUST hold e.lock.
func (e *consoleExporter) writeOut(buf []byte) (int, error) {
	e.abort.Lock()
	if e.aborted {
		e.abort.Unlock()
		return 0, errAbandoned
	}
	e.writing = true
	e.abort.Unlock()

	n, err := e.w.Write(buf)

	e.abort.Lock()
	e.writing = false
	if e.aborted {
		// abandon cut this write short: lift the deadline again, since
		// the file (os.Stdout) may be shared with other instances.
		if d, ok := e.w.(writeDeadliner); ok {
			_ = d.SetWriteDeadline(time.Time{})
		}
	}
	e.abort.Unlock()
	return n, err
}

// abandon runs when Shutdown's context ends. From now on nothing more is
// written; a Write in progress is cut short with a write deadline in the
// past if the output supports one (it then fails with
// os.ErrDeadlineExceeded, counted and returned by write). A Write on a
// plain blocking stdout cannot be interrupted: it stays blocked in write(2)
// until the reader reads or goes away, and Shutdown returns without it.
func (e *consoleExporter) abandon() {
	e.abort.Lock()
	defer e.abort.Unlock()
	e.aborted = true
	if !e.writing {
		return
	}
	if d, ok := e.w.(writeDeadliner); ok {
		_ = d.SetWriteDeadline(time.Unix(1, 0))
	}
}
