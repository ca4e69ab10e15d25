package cbreaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// model is the reference the fuzz test compares the Breaker with: the
// behaviour of DESIGN.md's circuit_breaker, written as plainly as possible.
type model struct {
	failureThreshold, probes, successThreshold int
	openTimeout, maxOpenTimeout                time.Duration

	state     State
	gen       int
	counts    Counts
	wait      time.Duration
	openUntil time.Time
}

// modelToken is a call the model allowed.
type modelToken struct{ gen int }

func (m *model) moveTo(s State) {
	m.state = s
	m.gen++
	m.counts = Counts{}
	m.openUntil = time.Time{}
}

// allow is the state table for a call asking to start.
func (m *model) allow(now time.Time) (modelToken, error) {
	switch m.state {
	case StateOpen:
		if now.Before(m.openUntil) {
			return modelToken{}, ErrOpen
		}
		m.moveTo(StateHalfOpen)
		return m.allow(now)
	case StateHalfOpen:
		if int(m.counts.InFlight) >= m.probes {
			return modelToken{}, ErrTooManyProbes
		}
	}
	m.counts.Requests++
	m.counts.InFlight++
	return modelToken{gen: m.gen}, nil
}

// read is the state table for a read of State: an open breaker whose wait
// is over moves to half-open.
func (m *model) read(now time.Time) State {
	if m.state == StateOpen && !now.Before(m.openUntil) {
		m.moveTo(StateHalfOpen)
	}
	return m.state
}

// done is the state table for a call's result.
func (m *model) done(now time.Time, t modelToken, o outcome) {
	if t.gen != m.gen {
		return
	}
	m.counts.InFlight--
	switch o {
	case outcomeExcluded:
		m.counts.TotalExcluded++
		return
	case outcomeSuccess:
		m.counts.TotalSuccesses++
		m.counts.ConsecutiveSuccesses++
		m.counts.ConsecutiveFailures = 0
		if m.state == StateHalfOpen && int(m.counts.ConsecutiveSuccesses) == m.successThreshold {
			m.wait = m.openTimeout
			m.moveTo(StateClosed)
		}
		return
	}
	m.counts.TotalFailures++
	m.counts.ConsecutiveFailures++
	m.counts.ConsecutiveSuccesses = 0
	switch {
	case m.state == StateClosed && int(m.counts.ConsecutiveFailures) == m.failureThreshold:
	case m.state == StateHalfOpen:
		m.wait = min(2*m.wait, m.maxOpenTimeout)
	default:
		return
	}
	m.moveTo(StateOpen)
	m.openUntil = now.Add(m.wait)
}

// FuzzBreaker decodes its input into Settings and a sequence of operations
// (allow, done with success / failure / excluded on an outstanding call,
// advance the clock) and checks the Breaker against the model after every
// step: the Allow result, State, OpenUntil, Counts and the transitions seen.
//
// `go test` runs the seeds only. To fuzz longer:
//
//	go test -run '^$' -fuzz FuzzBreaker -fuzztime 5m ./internal/cbreaker
func FuzzBreaker(f *testing.F) {
	f.Add([]byte{2, 1, 1, 2, 4, 0, 0, 0, 0, 0, 0, 10, 0, 1, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 30, 0, 1, 0, 1, 0})
	f.Add([]byte{3, 3, 2, 1, 6, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 5, 0, 0, 0, 1, 3, 0, 1, 5, 0, 2, 1, 20, 0, 1, 0, 1, 0})
	f.Add([]byte{1, 2, 3, 1, 7, 0, 0, 1, 0, 3, 2, 0, 0, 1, 3, 1, 0, 0, 2, 1, 0, 2, 255, 0, 0, 0, 1, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			c := data[0]
			data = data[1:]
			return c
		}
		const unit = 100 * time.Millisecond
		s := Settings{
			FailureThreshold: uint32(next() % 5),
			HalfOpenProbes:   uint32(next() % 4),
			SuccessThreshold: uint32(next() % 4),
			OpenTimeout:      time.Duration(next()%4) * 5 * unit, // 0 is the default
			MaxOpenTimeout:   time.Duration(next()%16) * 5 * unit,
			IsExcluded:       isExcluded,
		}
		h := newHarness(s)
		m := &model{
			failureThreshold: int(max(s.FailureThreshold, 1)),
			probes:           int(max(s.HalfOpenProbes, 1)),
			successThreshold: int(max(s.SuccessThreshold, 1)),
			openTimeout:      s.OpenTimeout,
		}
		if m.openTimeout == 0 {
			m.openTimeout = DefaultOpenTimeout
		}
		m.maxOpenTimeout = max(s.MaxOpenTimeout, m.openTimeout)
		m.wait = m.openTimeout
		var modelTransitions []transition
		prev := m.state

		type pair struct {
			tok Token
			mt  modelToken
		}
		var outstanding []pair
		for step := 0; len(data) > 0 && step < 1000; step++ {
			op := next() % 4
			switch op {
			case 0, 1: // allow
				tok, err := h.b.Allow()
				mt, merr := m.allow(h.clock.Now())
				require.Equal(t, merr, err, "step %d: allow", step)
				if err == nil {
					outstanding = append(outstanding, pair{tok, mt})
				}
			case 2: // done
				if len(outstanding) == 0 {
					continue
				}
				i := int(next()) % len(outstanding)
				p := outstanding[i]
				outstanding = append(outstanding[:i], outstanding[i+1:]...)
				o := outcome(next() % 3)
				p.tok.Done([]error{nil, errFail, errExcluded}[o])
				m.done(h.clock.Now(), p.mt, o)
			case 3: // advance the clock by up to 25.5s
				h.clock.Advance(time.Duration(next()) * unit)
			}
			// Every step reads State, as the processor's gauge does at each
			// collection: the read itself may move open to half-open.
			mid := m.state
			if mid != prev {
				modelTransitions = append(modelTransitions, transition{prev, mid})
			}
			got := h.b.State()
			require.Equal(t, m.read(h.clock.Now()), got, "step %d: state", step)
			if m.state != mid {
				modelTransitions = append(modelTransitions, transition{mid, m.state})
			}
			prev = m.state
			require.Equal(t, m.openUntil, h.b.OpenUntil(), "step %d: open until", step)
			require.Equal(t, m.counts, h.b.Counts(), "step %d: counts", step)
			require.Equal(t, modelTransitions, h.transitions, "step %d: transitions", step)
		}
	})
}
