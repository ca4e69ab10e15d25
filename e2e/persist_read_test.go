//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// addSpanSeqs counts the span IDs of td by sequence number.
func addSpanSeqs(td ptrace.Traces, seqs map[int64]int) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				seqs[seqOf(sp.SpanID())]++
			}
		}
	}
}

// readSpanOrder reads the complete lines of a filesink traces file
// (OTLP/JSON) and returns the sequence numbers of its spans in file order. A
// missing file is empty; a line that does not parse is an error.
func readSpanOrder(path string) ([]int64, error) {
	var order []int64
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var u ptrace.JSONUnmarshaler
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return order, nil // a line still being written is not complete
		}
		if err != nil {
			return nil, err
		}
		td, err := u.UnmarshalTraces(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					order = append(order, seqOf(sp.SpanID()))
				}
			}
		}
	}
}

// readSpanSeqs is readSpanOrder counted by sequence number.
func readSpanSeqs(path string) (map[int64]int, error) {
	order, err := readSpanOrder(path)
	if err != nil {
		return nil, err
	}
	seqs := make(map[int64]int, len(order))
	for _, seq := range order {
		seqs[seq]++
	}
	return seqs, nil
}

// outOfOrder counts the spans of order that come after a span with a higher
// sequence number, not counting second copies (at-least-once redelivery).
func outOfOrder(order []int64) int {
	seen := make(map[int64]bool, len(order))
	n := 0
	highest := int64(-1)
	for _, seq := range order {
		if seen[seq] {
			continue
		}
		seen[seq] = true
		if seq < highest {
			n++
		}
		highest = max(highest, seq)
	}
	return n
}

// mustReadSpans is readSpanSeqs that fails the test on error.
func mustReadSpans(t *testing.T, path string) map[int64]int {
	t.Helper()
	seqs, err := readSpanSeqs(path)
	require.NoError(t, err)
	return seqs
}

// missingFrom counts the members of want that got does not hold.
func missingFrom(got map[int64]int, want map[int64]bool) int {
	n := 0
	for seq := range want {
		if got[seq] == 0 {
			n++
		}
	}
	return n
}

// extraIn counts the members of got that want does not hold.
func extraIn(got map[int64]int, want map[int64]bool) int {
	n := 0
	for seq := range got {
		if !want[seq] {
			n++
		}
	}
	return n
}

// spanCount is the number of spans in seqs, copies included.
func spanCount(seqs map[int64]int) int64 {
	var n int64
	for _, c := range seqs {
		n += int64(c)
	}
	return n
}

// duplicates counts the extra copies in seqs (a span there 3 times counts 2).
func duplicates(seqs map[int64]int) int {
	n := 0
	for _, c := range seqs {
		if c > 1 {
			n += c - 1
		}
	}
	return n
}

// spoolContent is what an instance's spool folders hold, read frame by frame.
type spoolContent struct {
	Frames   int
	Items    int64         // sum of the frames' item counts (their headers)
	Seqs     map[int64]int // spans by sequence number, decoded from the payloads
	Problems []spool.Problem
}

// readSpool reads the pending frames of an instance folder, head/ then tail/,
// with internal/spool, and decodes every payload on its own with pdata's
// proto unmarshaler. It works on a copy, so the folder is left as it was
// (Open may record problems and takes the lock).
func readSpool(t *testing.T, dir string) spoolContent {
	t.Helper()
	sc := spoolContent{Seqs: map[int64]int{}}
	found := 0
	for _, sub := range []string{"head", "tail"} {
		src := filepath.Join(dir, sub)
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			continue
		}
		found++
		cp := filepath.Join(t.TempDir(), sub)
		copyDir(t, src, cp)
		s, err := spool.Open(spool.Settings{Dir: cp, MaxBytes: 1 << 40, OnProblem: func(p spool.Problem) {
			sc.Problems = append(sc.Problems, p)
		}})
		require.NoError(t, err, "open a copy of %s", src)
		var u ptrace.ProtoUnmarshaler
		for {
			f, ok, err := s.Next(nil)
			require.NoError(t, err, "read %s", src)
			if !ok {
				break
			}
			td, err := u.UnmarshalTraces(f.Payload)
			require.NoError(t, err, "frame %s of %s: payload does not decode as OTLP protobuf", f.ID, src)
			require.Equal(t, int(f.Items), td.SpanCount(), "frame %s of %s: header items vs spans in the payload", f.ID, src)
			sc.Frames++
			sc.Items += int64(f.Items)
			addSpanSeqs(td, sc.Seqs)
		}
		require.NoError(t, s.Close())
	}
	require.Positive(t, found, "neither head/ nor tail/ in %s", dir)
	return sc
}

// copyDir copies the regular files of src into a new folder dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o700))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
}
