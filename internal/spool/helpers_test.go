package spool

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// openT opens a spool in dir with small segments and registers Close.
func openT(t *testing.T, set Settings) *Spool {
	t.Helper()
	if set.Dir == "" {
		set.Dir = t.TempDir()
	}
	if set.MaxBytes == 0 {
		set.MaxBytes = 64 << 20
	}
	s, err := Open(set)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// crash abandons s as a killed process would: files are closed (so the
// lock is released) but nothing is synced, flushed or written.
func crash(s *Spool) {
	s.mu.Lock()
	s.closed = true
	for _, seg := range s.segs {
		seg.fmu.Lock()
		if seg.wf != nil {
			_ = seg.wf.Close()
			seg.wf = nil
		}
		seg.fmu.Unlock()
	}
	s.commit.closeLocked()
	s.mu.Unlock()
	s.ackMu.Lock()
	for _, seg := range s.segs {
		if seg.ackF != nil {
			_ = seg.ackF.Close()
			seg.ackF = nil
		}
	}
	s.ackMu.Unlock()
	s.rmu.Lock()
	s.reader.close()
	s.rmu.Unlock()
	_ = s.lock.Close()
}

// payloadFor is a deterministic payload of n bytes for record number i.
func payloadFor(i, n int) []byte {
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i*31 + j*7)
	}
	return p
}

func rec(i, n int) Record {
	return Record{Payload: payloadFor(i, n), Items: uint32(i%7 + 1), Time: int64(i) * 1000}
}

// drain reads every frame Next yields now, acking none.
func drain(t *testing.T, s *Spool) []Frame {
	t.Helper()
	var out []Frame
	for {
		f, ok, err := s.Next(nil)
		require.NoError(t, err)
		if !ok {
			return out
		}
		out = append(out, f)
	}
}

// requireFrame checks that f carries record i of size n.
func requireFrame(t *testing.T, f Frame, i, n int) {
	t.Helper()
	want := rec(i, n)
	require.True(t, bytes.Equal(want.Payload, f.Payload), "payload of record %d", i)
	require.Equal(t, want.Items, f.Items, "items of record %d", i)
	require.Equal(t, want.Time, f.Time, "time of record %d", i)
}

// problems collects the problems a spool reports.
type problems struct {
	mu   sync.Mutex
	list []Problem
}

func (p *problems) add(pr Problem) {
	p.mu.Lock()
	p.list = append(p.list, pr)
	p.mu.Unlock()
}

func (p *problems) kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, pr := range p.list {
		out = append(out, fmt.Sprintf("%s@%d", pr.Kind, pr.Offset))
	}
	return out
}

func strconvItoa(n int64) string { return fmt.Sprint(n) }
