//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validateConfig holds every component of ours in one logs pipeline; each
// %s is a flow-style YAML map for one component.
const validateConfig = `processors:
  resilientsink: %s
exporters:
  filesink: %s
  consolesink: %s
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [filesink, consolesink]
`

// runValidate runs `otelcol-resilient validate` on the base config plus the
// given component blocks and returns its combined output and error.
func runValidate(t *testing.T, dir, rs, fs, cs string) (string, error) {
	t.Helper()
	base := filepath.Join(dir, "base.yaml")
	own := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(base, []byte(strings.NewReplacer("@HEALTH@", "1", "@GRPC@", "2", "@HTTP@", "3", "@METRICS@", "4").Replace(baseConfig)), 0o600))
	require.NoError(t, os.WriteFile(own, fmt.Appendf(nil, validateConfig, rs, fs, cs), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, otelcolBin(t), "validate", "--config=file:"+base, "--config=file:"+own)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "validate did not finish in time")
	return string(out), err
}

// TestValidateRejectsBadConfig checks that `otelcol-resilient validate` fails
// for a wrong value of each component's keys, names the component and the key
// in its output, and never panics.
func TestValidateRejectsBadConfig(t *testing.T) {
	otelcolBin(t)
	dir := t.TempDir()
	okRS := `{}`
	okFS := fmt.Sprintf(`{path: %q}`, filepath.Join(dir, "out", "{signal}.jsonl"))
	okCS := `{}`

	t.Run("valid", func(t *testing.T) {
		out, err := runValidate(t, t.TempDir(), `{queue_size: 100, overflow: reject, shutdown: {strategy: flush}}`,
			okFS, `{output: stderr, format: json, verbosity: detailed, color: never, sampling: {initial: 10, thereafter: 100}}`)
		require.NoError(t, err, out)
	})

	tests := []struct {
		name       string
		rs, fs, cs string
		// want matches the output: component path, key, constraint and value.
		want string
	}{
		{name: "resilientsink/queue_size_zero", rs: `{queue_size: 0}`,
			want: `processors::resilientsink: queue_size must be .*, got 0`},
		{name: "resilientsink/queue_size_negative", rs: `{queue_size: -5}`,
			want: `processors::resilientsink: queue_size must be .*, got -5`},
		{name: "resilientsink/memory_limit_negative", rs: `{memory_limit_mib: -1}`,
			want: `processors::resilientsink: memory_limit_mib must be .*, got -1`},
		{name: "resilientsink/overflow_bogus", rs: `{overflow: bogus}`,
			want: `processors::resilientsink: overflow must be one of drop_oldest, drop_newest, reject, block, got "bogus"`},
		{name: "resilientsink/block_timeout_negative", rs: `{block_timeout: -1s}`,
			want: `processors::resilientsink: block_timeout must .*, got -1s`},
		{name: "resilientsink/max_age_negative", rs: `{max_age: -2s}`,
			want: `processors::resilientsink: max_age must .*, got -2s`},
		{name: "resilientsink/num_workers_zero", rs: `{num_workers: 0}`,
			want: `processors::resilientsink: num_workers must be .*, got 0`},
		{name: "resilientsink/timeout_negative", rs: `{timeout: -1s}`,
			want: `processors::resilientsink: timeout must .*, got -1s`},
		{name: "resilientsink/retry_initial_interval_negative", rs: `{retry: {initial_interval: -100ms}}`,
			want: `processors::resilientsink::retry: initial_interval .*must be greater than or equal to 0`},
		{name: "resilientsink/retry_max_elapsed_negative", rs: `{retry: {max_elapsed_time: -1m}}`,
			want: `processors::resilientsink::retry: max_elapsed_time .*must be greater than or equal to 0`},
		{name: "resilientsink/breaker_threshold_zero", rs: `{circuit_breaker: {failure_threshold: 0}}`,
			want: `processors::resilientsink::circuit_breaker: failure_threshold must .*, got 0`},
		{name: "resilientsink/breaker_open_timeout_negative", rs: `{circuit_breaker: {open_timeout: -5s}}`,
			want: `processors::resilientsink::circuit_breaker: open_timeout must .*, got -5s`},
		{name: "resilientsink/shutdown_strategy_bogus", rs: `{shutdown: {strategy: bogus}}`,
			want: `processors::resilientsink::shutdown: strategy must be one of immediate, flush, graceful, got "bogus"`},
		{name: "resilientsink/shutdown_timeout_negative", rs: `{shutdown: {timeout: -10s}}`,
			want: `processors::resilientsink::shutdown: timeout must .*, got -10s`},
		{name: "resilientsink/memory_limit_past_int64", rs: `{memory_limit_mib: 17592186044416}`,
			want: `processors::resilientsink: memory_limit_mib must be 0 \(off\) or up to 1048576, got 17592186044416`},
		{name: "resilientsink/queue_size_huge", rs: `{queue_size: 2000000000}`,
			want: `processors::resilientsink: queue_size must be between 1 and 1000000, got 2000000000`},
		{name: "resilientsink/queue_size_over_budget", rs: `{queue_size: 900000, memory_limit_mib: 64}`,
			want: `processors::resilientsink: queue_size must be at most \d+ with memory_limit_mib 64 .*, got 900000`},
		{name: "resilientsink/num_workers_huge", rs: `{num_workers: 1000000}`,
			want: `processors::resilientsink: num_workers must be between 1 and 1024, got 1000000`},
		{name: "resilientsink/max_age_overflow", rs: `{max_age: 2562047h}`,
			want: `processors::resilientsink: max_age must be at most 8760h0m0s, got 2562047h0m0s`},
		{name: "resilientsink/timeout_huge", rs: `{timeout: 100000h}`,
			want: `processors::resilientsink: timeout must be at most 8760h0m0s, got 100000h0m0s`},
		{name: "resilientsink/retry_max_interval_overflow", rs: `{retry: {max_interval: 2562047h, max_elapsed_time: 0s}}`,
			want: `processors::resilientsink: retry: max_interval must be at most 8760h0m0s, got 2562047h0m0s`},
		{name: "resilientsink/retry_multiplier_huge", rs: `{retry: {multiplier: 1e300}}`,
			want: `processors::resilientsink: retry: multiplier must be between 1 and 100, got 1e\+300`},
		{name: "resilientsink/retry_randomization_over_one", rs: `{retry: {randomization_factor: 2}}`,
			want: `processors::resilientsink::retry: randomization_factor value must be less than or equal to 1`},
		{name: "resilientsink/breaker_max_open_overflow", rs: `{circuit_breaker: {max_open_timeout: 2562047h}}`,
			want: `processors::resilientsink::circuit_breaker: max_open_timeout must be at most 8760h0m0s, got 2562047h0m0s`},
		{name: "resilientsink/shutdown_timeout_overflow", rs: `{shutdown: {timeout: 2562047h}}`,
			want: `processors::resilientsink::shutdown: timeout must be at most 8760h0m0s, got 2562047h0m0s`},
		{name: "resilientsink/unknown_key", rs: `{queue_sise: 10}`,
			want: `(?s)resilientsink.*queue_sise`},
		{name: "resilientsink/wrong_type", rs: `{queue_size: lots}`,
			want: `(?s)resilientsink.*queue_size`},

		{name: "filesink/missing_path", fs: `{}`,
			want: `exporters::filesink: path must not be empty`},
		{name: "filesink/format_bogus", fs: `{path: /tmp/x.jsonl, format: bogus}`,
			want: `format must be one of json, proto, got "bogus"`},
		{name: "filesink/durability_bogus", fs: `{path: /tmp/x.jsonl, durability: bogus}`,
			want: `durability must be one of buffered, flushed, synced, got "bogus"`},
		{name: "filesink/file_mode_999", fs: `{path: /tmp/x.jsonl, file_mode: "999"}`,
			want: `file_mode must .*, got "999"`},
		{name: "filesink/flush_interval_negative", fs: `{path: /tmp/x.jsonl, flush_interval: -1s}`,
			want: `flush_interval must .*, got -1s`},
		{name: "filesink/compression_bogus", fs: `{path: /tmp/x.jsonl, rotation: {max_megabytes: 10, compression: bogus}}`,
			want: `exporters::filesink::rotation: compression must be one of gzip, zstd, none, got "bogus"`},
		{name: "filesink/max_backups_negative", fs: `{path: /tmp/x.jsonl, rotation: {max_megabytes: 10, max_backups: -1}}`,
			want: `exporters::filesink::rotation: max_backups must .*, got -1`},
		{name: "filesink/unknown_key", fs: `{path: /tmp/x.jsonl, durabilty: synced}`,
			want: `(?s)filesink.*durabilty`},

		{name: "consolesink/output_bogus", cs: `{output: bogus}`,
			want: `exporters::consolesink: output must be one of stdout, stderr, got "bogus"`},
		{name: "consolesink/format_bogus", cs: `{format: bogus}`,
			want: `exporters::consolesink: format must be one of text, json, logfmt, otlp_json, got "bogus"`},
		{name: "consolesink/verbosity_bogus", cs: `{verbosity: bogus}`,
			want: `exporters::consolesink: verbosity must be one of basic, normal, detailed, got "bogus"`},
		{name: "consolesink/color_bogus", cs: `{color: bogus}`,
			want: `exporters::consolesink: color must be one of auto, always, never, got "bogus"`},
		{name: "consolesink/sampling_initial_negative", cs: `{sampling: {initial: -1}}`,
			want: `exporters::consolesink::sampling: initial must .*, got -1`},
		{name: "consolesink/sampling_thereafter_negative", cs: `{sampling: {initial: 5, thereafter: -3}}`,
			want: `exporters::consolesink::sampling: thereafter must .*, got -3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, fs, cs := okRS, okFS, okCS
			if tt.rs != "" {
				rs = tt.rs
			}
			if tt.fs != "" {
				fs = tt.fs
			}
			if tt.cs != "" {
				cs = tt.cs
			}
			out, err := runValidate(t, t.TempDir(), rs, fs, cs)
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr, "validate must fail; output:\n%s", out)
			assert.NotZero(t, exitErr.ExitCode())
			assert.Regexp(t, tt.want, out)
			assert.NotContains(t, out, "panic:")
			assert.NotContains(t, out, "goroutine ")
		})
	}
}
