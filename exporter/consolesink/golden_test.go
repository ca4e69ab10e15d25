// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt from the current output")

// renderAll pushes the golden input of one signal through an exporter with
// cfg and returns what it wrote.
func renderAll(t *testing.T, cfg *Config, signal string, color bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := newTestExporter(t, cfg, &buf, color, nil)
	ctx := context.Background()
	switch signal {
	case "logs":
		require.NoError(t, e.pushLogs(ctx, goldenLogs()))
	case "traces":
		require.NoError(t, e.pushTraces(ctx, goldenTraces()))
	case "metrics":
		require.NoError(t, e.pushMetrics(ctx, goldenMetrics()))
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o600))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestGolden -update to create it")
	assert.Equal(t, string(want), string(got))
}

func TestGolden(t *testing.T) {
	formats := []Format{FormatText, FormatJSON, FormatLogfmt}
	verbosities := []Verbosity{VerbosityBasic, VerbosityNormal, VerbosityDetailed}
	for _, signal := range []string{"logs", "traces", "metrics"} {
		for _, f := range formats {
			for _, v := range verbosities {
				name := string(f) + "_" + string(v) + "_" + signal + ".txt"
				t.Run(name, func(t *testing.T) {
					got := renderAll(t, testConfig(f, v), signal, false)
					checkGolden(t, name, got)
					assertLines(t, got, f, v, signal)
				})
			}
		}
		// otlp_json ignores verbosity.
		name := "otlp_json_" + signal + ".txt"
		t.Run(name, func(t *testing.T) {
			got := renderAll(t, testConfig(FormatOTLPJSON, VerbosityNormal), signal, false)
			checkGolden(t, name, got)
			assert.Equal(t, 1, bytes.Count(got, []byte("\n")), "one request per line")
		})
	}
}

func TestGoldenColor(t *testing.T) {
	got := renderAll(t, testConfig(FormatText, VerbosityNormal), "logs", true)
	checkGolden(t, "text_normal_logs_color.txt", got)
	assert.Contains(t, string(got), ansiDim)
	assert.Contains(t, string(got), "\x1b[32mInfo"+ansiReset)
	assert.Contains(t, string(got), "\x1b[1;31mFATAL4"+ansiReset)
	// The escape sequences in record data stay escaped even with color on.
	assert.NotContains(t, string(got), "\x1b[31mred")

	for _, f := range []Format{FormatJSON, FormatLogfmt} {
		got := renderAll(t, testConfig(f, VerbosityNormal), "logs", true)
		assert.NotContains(t, string(got), "\x1b", "%s never colors", f)
	}
}

// assertLines checks the line-level promises of the line formats: one line
// per record (or per batch at basic), valid UTF-8, no control characters.
func assertLines(t *testing.T, out []byte, f Format, v Verbosity, signal string) {
	t.Helper()
	want := map[string]int{"logs": goldenLogs().LogRecordCount(), "traces": goldenTraces().SpanCount(), "metrics": goldenMetrics().DataPointCount()}[signal]
	if v == VerbosityBasic {
		want = 1
	}
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	assert.Len(t, lines, want)
	assert.True(t, utf8.Valid(out), "output is valid UTF-8")
	for _, line := range lines {
		for _, b := range line {
			if f == FormatJSON && b == 0x7f {
				continue // DEL is legal in JSON strings
			}
			if b < 0x20 || b == 0x7f {
				t.Errorf("control byte %#x in line %q", b, line)
				break
			}
		}
	}
}
