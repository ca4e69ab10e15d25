//go:build e2e && linux

package e2e

import (
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// timedSender is a sender that notes when each acknowledgement came back, so
// that a test can tell the spans acknowledged before a power cut (which must
// survive it) from those acknowledged while or after it happened: a real
// power cut takes the collector with it, so no client ever gets those; here
// the process outlives the cut by a few milliseconds, and an fsync that was
// under way when the file system went down can still report success.
type timedSender struct {
	sender
	mu   sync.Mutex
	acks []timedAck
}

// timedAck is one acknowledged request: spans first .. first+n-1, answered at.
type timedAck struct {
	first int64
	n     int
	at    time.Time
}

func (s *timedSender) send(first int64, n int) codes.Code {
	code := s.sender.send(first, n)
	if code == codes.OK {
		at := time.Now()
		s.mu.Lock()
		s.acks = append(s.acks, timedAck{first: first, n: n, at: at})
		s.mu.Unlock()
	}
	return code
}

// ackWindows are the spans acknowledged before a cut that ran from the
// start to the end of the ioctl, during it, and after it.
type ackWindows struct {
	before, during, after map[int64]bool
}

// split sorts the acknowledged spans by when their answer came: before from,
// in [from, to), or at or after to.
func (s *timedSender) split(from, to time.Time) ackWindows {
	w := ackWindows{before: map[int64]bool{}, during: map[int64]bool{}, after: map[int64]bool{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.acks {
		m := w.during
		switch {
		case a.at.Before(from):
			m = w.before
		case !a.at.Before(to):
			m = w.after
		}
		for i := range int64(a.n) {
			m[a.first+i] = true
		}
	}
	return w
}

// powerLossResult is what one collector's clients were told and what was
// found after the power cut and the restart.
type powerLossResult struct {
	requests              int64
	before, during, after int // spans acknowledged before, during and after the cut
	lostBefore, lostLate  int // of those before, and of those during or after, not found
	duplicates            int // extra copies found
	unacked               int // spans found that were never acknowledged
}

func newPowerLossResult(requests int64, w ackWindows, got map[int64]int) powerLossResult {
	all := make(map[int64]bool, len(w.before)+len(w.during)+len(w.after))
	for _, m := range []map[int64]bool{w.before, w.during, w.after} {
		for seq := range m {
			all[seq] = true
		}
	}
	lostBefore := missingFrom(got, w.before)
	return powerLossResult{
		requests: requests, before: len(w.before), during: len(w.during), after: len(w.after),
		lostBefore: lostBefore, lostLate: missingFrom(got, all) - lostBefore,
		duplicates: duplicates(got), unacked: extraIn(got, all),
	}
}

func (r powerLossResult) String() string {
	return fmt.Sprintf("%d requests; spans acknowledged before the cut %d (lost %d), during or after it %d+%d (lost %d); %d duplicates, %d never acknowledged found",
		r.requests, r.before, r.lostBefore, r.during, r.after, r.lostLate, r.duplicates, r.unacked)
}
