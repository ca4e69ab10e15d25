// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

// sampler decides, record by record, which records are printed: in each
// one-second window (aligned to whole Unix seconds) the first initial
// records, then every thereafter-th (none when thereafter is 0). It remembers how many it suppressed in
// the current window until that is reported.
//
// The zero sampler is unusable; use newSampler. A nil *sampler means no
// sampling. Not safe for concurrent use: the exporter calls it under its
// mutex.
type sampler struct {
	initial    int64
	thereafter int64
	window     int64 // Unix second of the current window
	seen       int64 // records seen in the current window
	suppressed int64 // records suppressed in the current window, not yet reported
}

// newSampler returns a sampler, or nil when initial is 0 (no sampling).
// thereafter 0 suppresses every record after the first initial.
func newSampler(initial, thereafter int) *sampler {
	if initial <= 0 {
		return nil
	}
	return &sampler{initial: int64(initial), thereafter: int64(thereafter)}
}

// roll moves the sampler to the window of Unix second sec. If that is a new
// window, it returns the number of records suppressed in the previous one
// and that window's second, and starts counting afresh. Time going
// backwards keeps the current window.
func (s *sampler) roll(sec int64) (suppressed, window int64) {
	if sec <= s.window {
		return 0, 0
	}
	suppressed, window = s.suppressed, s.window
	s.window, s.seen, s.suppressed = sec, 0, 0
	return suppressed, window
}

// take counts one record in the current window and reports whether it is
// printed.
func (s *sampler) take() bool {
	s.seen++
	if s.seen <= s.initial || (s.thereafter > 0 && (s.seen-s.initial)%s.thereafter == 0) {
		return true
	}
	s.suppressed++
	return false
}
