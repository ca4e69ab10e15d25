// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDockerfile(t *testing.T) {
	img, err := CheckDockerfile(repoFile(t, "Dockerfile"), repoFile(t, "Makefile"), repoFile(t, "builder-config.yaml"))
	require.NoError(t, err)
	assert.Equal(t, Image{
		Binary:       "/otelcol-resilient",
		ConfigPath:   "/etc/otelcol-resilient/config.yaml",
		ConfigSource: "deploy/docker/config.yaml",
		UID:          RunAsUser,
		OwnedDirs:    []string{"/var/lib/otelcol-resilient"},
		Args:         []string{"--config", "/etc/otelcol-resilient/config.yaml"},
	}, img)

	// The image's default config writes filesink output where the image
	// created a folder owned by its user.
	cfg, err := ParseCollectorConfig(repoFile(t, img.ConfigSource))
	require.NoError(t, err)
	sinks, err := cfg.Filesinks()
	require.NoError(t, err)
	require.NotEmpty(t, sinks)
	for _, fs := range sinks {
		assert.Contains(t, img.OwnedDirs, fs.Dir())
	}
	// Several resilientsink instances, told apart without a feature gate by
	// their processor and signal labels.
	insts, err := cfg.Instances()
	require.NoError(t, err)
	assert.Greater(t, len(insts), 1)

	// The manifests mount their configuration at the image's config path and
	// run as the image's user.
	for _, dir := range []string{baseDir, daemonSetDir} {
		s := subject(t, render(t, dir))
		assert.Equal(t, img.ConfigPath, s.ConfigPath, dir)
		assert.Equal(t, "otelcol-resilient:dev", s.Container.Image, dir)
	}
}

// TestDockerfileViolations breaks the Dockerfile or the Makefile one way at a
// time and expects CheckDockerfile to say what broke.
func TestDockerfileViolations(t *testing.T) {
	tests := []struct {
		name           string
		file           string // Dockerfile or Makefile
		old, new, want string
	}{
		{name: "ocb version literal", file: "Dockerfile", old: "builder@${BUILDER_VERSION}", new: "builder@v0.164.0",
			want: `go install of ocb must use the Makefile's BUILDER_VERSION "v0.165.0", got v0.164.0`},
		{name: "ocb version ARG", file: "Dockerfile", old: "ARG BUILDER_VERSION=v0.165.0", new: "ARG BUILDER_VERSION=v0.164.0",
			want: `go install of ocb must use the Makefile's BUILDER_VERSION "v0.165.0", got v0.164.0`},
		{name: "Makefile moves to another ocb", file: "Makefile", old: "BUILDER_VERSION       := v0.165.0", new: "BUILDER_VERSION       := v0.166.0",
			want: `go install of ocb must use the Makefile's BUILDER_VERSION "v0.166.0", got v0.165.0`},
		{name: "other manifest", file: "Dockerfile", old: "builder --config builder-config.yaml", new: "builder --config other.yaml",
			want: "build stage must run `builder --config builder-config.yaml` as make otelcol does, got \"--mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod builder --config other.yaml\""},
		{name: "cgo on", file: "Dockerfile", old: "ENV CGO_ENABLED=0", new: "ENV CGO_ENABLED=1",
			want: `build stage must set CGO_ENABLED=0, got "1"`},
		{name: "old Go", file: "Dockerfile", old: "FROM golang:1.26 AS build", new: "FROM golang:1.25 AS build",
			want: "build stage must start FROM golang:1.26, got golang:1.25"},
		{name: "root user", file: "Dockerfile", old: "USER 10001:10001", new: "USER root",
			want: "final stage USER must be the numeric non-root 10001, got root"},
		{name: "no user", file: "Dockerfile", old: "USER 10001:10001", new: "",
			want: "final stage must set a non-root USER 10001, got none"},
		{name: "full OS image", file: "Dockerfile", old: "FROM gcr.io/distroless/static-debian12:nonroot", new: "FROM debian:12",
			want: "final stage must be FROM gcr.io/distroless/static or scratch, got debian:12"},
		{name: "port missing", file: "Dockerfile", old: "EXPOSE 4317 4318 13133 8888", new: "EXPOSE 4317 4318 13133",
			want: "EXPOSE must list [13133 4317 4318 8888], got [13133 4317 4318]"},
		{name: "shell-form entrypoint", file: "Dockerfile", old: `ENTRYPOINT ["/otelcol-resilient"]`, new: "ENTRYPOINT /otelcol-resilient",
			want: "ENTRYPOINT must be in exec form: want exec form (JSON array), got /otelcol-resilient"},
		{name: "entrypoint not the built binary", file: "Dockerfile", old: "COPY --from=build /src/_build/otelcol-resilient /otelcol-resilient", new: "COPY --from=build /go/bin/builder /otelcol-resilient",
			want: "ENTRYPOINT /otelcol-resilient must be the binary copied from /src/_build/otelcol-resilient of stage build, got {from:build chown: dest:/otelcol-resilient src:[/go/bin/builder]}"},
		{name: "no default config", file: "Dockerfile", old: `CMD ["--config", "/etc/otelcol-resilient/config.yaml"]`, new: "",
			want: `default command must pass --config with a file copied from the repository, got []`},
		{name: "feature gate in the default command", file: "Dockerfile", old: `"/etc/otelcol-resilient/config.yaml"]`, new: `"/etc/otelcol-resilient/config.yaml", "--feature-gates=telemetry.newPipelineTelemetry"]`,
			want: `args must not set --feature-gates (the collector runs with its default gates, as tested), got ["--config" "/etc/otelcol-resilient/config.yaml" "--feature-gates=telemetry.newPipelineTelemetry"]`},
		{name: "feature gate disabled in the default command", file: "Dockerfile", old: `"/etc/otelcol-resilient/config.yaml"]`, new: `"/etc/otelcol-resilient/config.yaml", "--feature-gates", "-telemetry.disableHighCardinalityMetrics"]`,
			want: `args must not set --feature-gates (the collector runs with its default gates, as tested), got ["--config" "/etc/otelcol-resilient/config.yaml" "--feature-gates" "-telemetry.disableHighCardinalityMetrics"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"Dockerfile": string(repoFile(t, "Dockerfile")), "Makefile": string(repoFile(t, "Makefile"))}
			require.Contains(t, files[tt.file], tt.old)
			files[tt.file] = strings.Replace(files[tt.file], tt.old, tt.new, 1)
			_, err := CheckDockerfile([]byte(files["Dockerfile"]), []byte(files["Makefile"]), repoFile(t, "builder-config.yaml"))
			assert.Contains(t, errLines(err), tt.want)
		})
	}
}

// TestDockerfileFollowsMakefile: the check compares builder arguments, not the
// whole recipe line, so environment set in the Makefile's recipe is fine.
func TestDockerfileFollowsMakefile(t *testing.T) {
	mk := strings.Replace(string(repoFile(t, "Makefile")), "\t$(BUILDER) --config builder-config.yaml", "\tCGO_ENABLED=0 $(BUILDER) --config builder-config.yaml", 1)
	require.NotEqual(t, string(repoFile(t, "Makefile")), mk)
	_, err := CheckDockerfile(repoFile(t, "Dockerfile"), []byte(mk), repoFile(t, "builder-config.yaml"))
	require.NoError(t, err)

	bc := string(repoFile(t, "builder-config.yaml")) + "\n"
	bc = strings.Replace(bc, "  output_path: ./_build\n", "  output_path: ./_build\n  cgo_enabled: true\n", 1)
	_, err = CheckDockerfile(repoFile(t, "Dockerfile"), repoFile(t, "Makefile"), []byte(bc))
	assert.Contains(t, errLines(err), "builder-config.yaml dist.cgo_enabled must be false (static binary), got true")
}

func TestParseDockerfile(t *testing.T) {
	src := `# syntax=docker/dockerfile:1
ARG V=1.2
FROM golang:${V} AS b
ENV A=x \
    B="y"
RUN echo $A \
    # a comment inside a continuation
    ${B} $C
FROM scratch
COPY --from=b /a /b
`
	stages, err := ParseDockerfile([]byte(src))
	require.NoError(t, err)
	require.Len(t, stages, 2)
	assert.Equal(t, "golang:1.2", stages[0].From)
	assert.Equal(t, "b", stages[0].Name)
	assert.Equal(t, []Instruction{{Cmd: "RUN", Args: "echo x y $C", Line: 6}}, stages[0].Find("RUN"))
	assert.Equal(t, "scratch", stages[1].From)
	assert.Equal(t, []Instruction{{Cmd: "COPY", Args: "--from=b /a /b", Line: 10}}, stages[1].Instructions)

	_, err = ParseDockerfile([]byte("RUN x\n"))
	require.EqualError(t, err, "line 1: RUN before FROM")
	_, err = ParseDockerfile([]byte("FROM a\nRUN x \\\n"))
	require.EqualError(t, err, "line 2: continuation at end of file")
	_, err = ParseDockerfile([]byte("# only a comment\n"))
	require.EqualError(t, err, "no FROM instruction")
}
