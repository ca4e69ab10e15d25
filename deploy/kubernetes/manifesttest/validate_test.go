// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otelcolBin returns the collector binary named by OTELCOL_BIN; the test fails
// (never skips) without it.
func otelcolBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("OTELCOL_BIN")
	if bin == "" {
		t.Fatal("OTELCOL_BIN must name the otelcol-resilient binary (make otelcol builds _build/otelcol-resilient), got unset")
	}
	abs, err := filepath.Abs(bin)
	require.NoError(t, err)
	_, err = os.Stat(abs)
	require.NoError(t, err, "OTELCOL_BIN")
	return abs
}

// validate runs `otelcol-resilient validate` on a configuration, with the
// feature gates of args (an unknown gate fails, as it would at startup; the
// deployments pass none).
func validate(t *testing.T, bin string, config []byte, args []string) (string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(p, config, 0o600))
	cmdArgs := []string{"validate", "--config=" + p}
	for _, g := range featureGates(args) {
		cmdArgs = append(cmdArgs, "--feature-gates="+g)
	}
	cmd := exec.CommandContext(t.Context(), bin, cmdArgs...)
	// overlays/backend reads the backend from the environment (a Secret).
	cmd.Env = append(os.Environ(), "BACKEND_ENDPOINT=otlp.example.com:4317", "BACKEND_AUTHORIZATION=Bearer x")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestValidateConfigs runs the distribution's own validation on the collector
// configuration embedded in each rendered ConfigMap (both tiers of the
// two-tier and backend overlays included), on the replay Job's and on the
// image's default,
// with the args they run with: no feature gates, the collector's defaults.
func TestValidateConfigs(t *testing.T) {
	bin := otelcolBin(t)
	img, err := CheckDockerfile(repoFile(t, "Dockerfile"), repoFile(t, "Makefile"), repoFile(t, "builder-config.yaml"))
	require.NoError(t, err)
	type run struct {
		config []byte
		args   []string
	}
	runs := map[string]run{"image default": {repoFile(t, img.ConfigSource), img.Args}}
	for _, dir := range []string{baseDir, daemonSetDir, twoTierDir, backendDir} {
		subjects, err := ResolveAll(render(t, dir))
		require.NoError(t, err)
		for _, s := range subjects {
			runs[dir+" "+s.Workload.Name] = run{s.ConfigYAML, s.Container.Args}
		}
	}
	for _, rj := range replayJobs {
		job := render(t, rj.job)
		require.Len(t, job.Jobs, 1)
		js, jobErr := resolveWorkload(job, Workload{Kind: "Job", Template: &job.Jobs[0].Spec.Template})
		require.NoError(t, jobErr)
		runs[rj.job] = run{js.ConfigYAML, js.Container.Args}
	}
	for name, r := range runs {
		t.Run(name, func(t *testing.T) {
			require.Empty(t, CheckFeatureGates(r.args))
			out, err := validate(t, bin, r.config, r.args)
			require.NoError(t, err, out)
		})
	}
}

// TestValidateRejects shows that validate does catch what the checks do not
// read: a misspelt key and a bad enum value (persistence's too).
func TestValidateRejects(t *testing.T) {
	bin := otelcolBin(t)
	cfg := string(subject(t, render(t, baseDir)).ConfigYAML)
	tests := []struct {
		name, old, new, want string
		args                 []string
	}{
		{name: "misspelt key", old: "memory_limit_mib: 16", new: "memory_limt_mib: 16", want: "invalid keys: memory_limt_mib"},
		{name: "bad overflow", old: "overflow: drop_oldest", new: "overflow: dropoldest", want: "overflow"},
		{name: "unknown exporter", old: "exporters: [filesink]", new: "exporters: [filesinkk]", want: "filesinkk"},
		{name: "bad persistence mode", old: "mode: spill", new: "mode: spil", want: `persistence: mode must be one of spill, write_ahead, got "spil"`},
		{name: "misspelt persistence key", old: "max_megabytes: 1024", new: "max_megabyte: 1024", want: "invalid keys: max_megabyte"},
		{name: "unknown feature gate", args: []string{"--feature-gates=telemetry.noSuchGate"}, want: "telemetry.noSuchGate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, cfg, tt.old)
			out, err := validate(t, bin, []byte(strings.ReplaceAll(cfg, tt.old, tt.new)), tt.args)
			require.Error(t, err)
			assert.Contains(t, out, tt.want)
		})
	}
}
