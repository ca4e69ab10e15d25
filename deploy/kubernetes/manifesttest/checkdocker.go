// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Image describes what the Dockerfile's final stage produces.
type Image struct {
	// Binary is the collector's path in the image (ENTRYPOINT).
	Binary string
	// ConfigPath is the --config path of the default command.
	ConfigPath string
	// ConfigSource is the repository file copied to ConfigPath.
	ConfigSource string
	// UID is the USER the image runs as.
	UID int64
	// OwnedDirs lists the COPY destinations owned by UID.
	OwnedDirs []string
	// Args are the default arguments (after the binary).
	Args []string
}

var (
	goImage       = regexp.MustCompile(`^golang:1\.26(\.[0-9]+)?(-[a-z0-9]+)?(@sha256:[0-9a-f]{64})?$`)
	runtimeImage  = regexp.MustCompile(`^(gcr\.io/distroless/static(-debian[0-9]+)?(:[a-z0-9-]+)?(@sha256:[0-9a-f]{64})?|scratch)$`)
	installCmd    = regexp.MustCompile(`go install go\.opentelemetry\.io/collector/cmd/builder@(\S+)`)
	wantExposed   = []string{"13133", "4317", "4318", "8888"}
	builderPrefix = "$(BUILDER)"
)

// CheckDockerfile checks the Dockerfile against the Makefile's `otelcol`
// build (same ocb version, same builder arguments, static binary) and the
// runtime rules (distroless or scratch, non-root USER, exposed ports, exec-form
// ENTRYPOINT on the built binary). It returns what the image contains.
func CheckDockerfile(dockerfile, makefile, builderConfig []byte) (Image, error) {
	stages, err := ParseDockerfile(dockerfile)
	if err != nil {
		return Image{}, err
	}
	mk := ParseMakefile(makefile)
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	build := stages[0]
	if !goImage.MatchString(build.From) {
		fail("build stage must start FROM golang:1.26, got %s", build.From)
	}
	want := mk.Vars["BUILDER_VERSION"]
	got := "none"
	var builderRun string
	for _, in := range build.Find("RUN") {
		if m := installCmd.FindStringSubmatch(in.Args); m != nil {
			got = m[1]
		}
		if strings.Contains(in.Args, "builder --config") {
			builderRun = in.Args
		}
	}
	if want == "" || got != want {
		fail("go install of ocb must use the Makefile's BUILDER_VERSION %q, got %s", want, got)
	}
	var makeArgs string
	for _, line := range mk.Recipes["otelcol"] {
		if _, rest, ok := strings.Cut(line, builderPrefix); ok {
			makeArgs = strings.TrimSpace(rest)
		}
	}
	if makeArgs == "" {
		fail("Makefile target otelcol must run %s, got %q", builderPrefix, mk.Recipes["otelcol"])
	} else if !strings.Contains(builderRun+" ", "builder "+makeArgs+" ") {
		fail("build stage must run `builder %s` as make otelcol does, got %q", makeArgs, builderRun)
	}
	if build.Env["CGO_ENABLED"] != "0" && !strings.Contains(builderRun, "CGO_ENABLED=0") {
		fail("build stage must set CGO_ENABLED=0, got %q", build.Env["CGO_ENABLED"])
	}
	var bc struct {
		Dist struct {
			Name       string `json:"name"`
			OutputPath string `json:"output_path"`
			CGoEnabled bool   `json:"cgo_enabled"`
		} `json:"dist"`
	}
	if err = yaml.Unmarshal(builderConfig, &bc); err != nil {
		return Image{}, fmt.Errorf("parse builder-config.yaml: %w", err)
	}
	if bc.Dist.CGoEnabled {
		fail("builder-config.yaml dist.cgo_enabled must be false (static binary), got true")
	}
	workdir := "/"
	for _, in := range build.Find("WORKDIR") {
		workdir = path.Join(workdir, in.Args)
	}
	binary := path.Join(workdir, bc.Dist.OutputPath, bc.Dist.Name)

	final := stages[len(stages)-1]
	if len(stages) < 2 || !runtimeImage.MatchString(final.From) {
		fail("final stage must be FROM gcr.io/distroless/static or scratch, got %s", final.From)
	}
	img := Image{}
	users := final.Find("USER")
	if len(users) == 0 {
		fail("final stage must set a non-root USER %d, got none", RunAsUser)
	} else {
		uid, _, _ := strings.Cut(users[len(users)-1].Args, ":")
		img.UID, err = strconv.ParseInt(uid, 10, 64)
		if err != nil || img.UID != RunAsUser {
			fail("final stage USER must be the numeric non-root %d, got %s", RunAsUser, users[len(users)-1].Args)
		}
	}
	var exposed []string
	for _, in := range final.Find("EXPOSE") {
		for _, p := range strings.Fields(in.Args) {
			exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
		}
	}
	slices.Sort(exposed)
	if !slices.Equal(exposed, wantExposed) {
		fail("EXPOSE must list %v, got %v", wantExposed, exposed)
	}
	copies := map[string]copyInstr{}
	for _, in := range final.Find("COPY") {
		c := parseCopy(in.Args)
		copies[c.dest] = c
		if c.chown != "" && strings.HasPrefix(c.chown, strconv.Itoa(RunAsUser)) {
			img.OwnedDirs = append(img.OwnedDirs, c.dest)
		}
	}
	cmd, err := entrypoint(final)
	if err != nil {
		fail("%v", err)
	} else {
		img.Binary = cmd[0]
		if c := copies[img.Binary]; c.from != build.Name || len(c.src) != 1 || c.src[0] != binary {
			fail("ENTRYPOINT %s must be the binary copied from %s of stage %s, got %+v", img.Binary, binary, build.Name, c)
		}
		img.Args = cmd[1:]
		errs = append(errs, CheckFeatureGates(img.Args)...)
		img.ConfigPath = configArg(cmd[1:])
		if c, ok := copies[img.ConfigPath]; !ok || c.from != "" || len(c.src) != 1 {
			fail("default command must pass --config with a file copied from the repository, got %q", cmd[1:])
		} else {
			img.ConfigSource = c.src[0]
		}
	}
	return img, errors.Join(errs...)
}

type copyInstr struct {
	from, chown, dest string
	src               []string
}

func parseCopy(args string) copyInstr {
	var c copyInstr
	var rest []string
	for _, f := range strings.Fields(args) {
		switch {
		case strings.HasPrefix(f, "--from="):
			c.from = strings.TrimPrefix(f, "--from=")
		case strings.HasPrefix(f, "--chown="):
			c.chown = strings.TrimPrefix(f, "--chown=")
		case strings.HasPrefix(f, "--"):
		default:
			rest = append(rest, f)
		}
	}
	if len(rest) > 0 {
		c.dest, c.src = rest[len(rest)-1], rest[:len(rest)-1]
	}
	return c
}

// entrypoint returns ENTRYPOINT followed by CMD, both in exec form.
func entrypoint(s Stage) ([]string, error) {
	eps, cmds := s.Find("ENTRYPOINT"), s.Find("CMD")
	if len(eps) == 0 {
		return nil, fmt.Errorf("final stage must set ENTRYPOINT, got none")
	}
	ep, err := ExecForm(eps[len(eps)-1].Args)
	if err != nil {
		return nil, fmt.Errorf("ENTRYPOINT must be in exec form: %w", err)
	}
	if len(ep) == 0 {
		return nil, fmt.Errorf("ENTRYPOINT must name the binary, got []")
	}
	if len(cmds) > 0 {
		c, err := ExecForm(cmds[len(cmds)-1].Args)
		if err != nil {
			return nil, fmt.Errorf("CMD must be in exec form: %w", err)
		}
		ep = append(ep, c...)
	}
	return ep, nil
}

// configArg returns the value of --config (as "--config x" or "--config=x").
func configArg(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v
		}
		if a == "--config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
