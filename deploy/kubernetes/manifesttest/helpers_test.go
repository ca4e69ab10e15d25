// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	baseDir      = "../base"
	daemonSetDir = "../overlays/daemonset"
	twoTierDir   = "../overlays/two-tier"
	backendDir   = "../overlays/backend"
	replayJobDir = "../jobs/replay-dead-letters"
	// scrapeAnnotationsDir is the component that annotates the pods for
	// annotation-based Prometheus discovery.
	scrapeAnnotationsDir = "../components/scrape-annotations"
	repoRoot             = "../../.."
)

// render renders dir and fails the test on error.
func render(t *testing.T, dir string) *Rendered {
	t.Helper()
	r, err := Render(dir)
	require.NoError(t, err)
	return r
}

// subject resolves a rendering and fails the test on error.
func subject(t *testing.T, r *Rendered) *Subject {
	t.Helper()
	s, err := Resolve(r)
	require.NoError(t, err)
	return s
}

// replaceConfig edits the collector configuration inside the rendered
// ConfigMap; old must occur.
func replaceConfig(t *testing.T, r *Rendered, from, to string) {
	t.Helper()
	require.Len(t, r.ConfigMaps, 1)
	cm := r.ConfigMaps[0]
	data := cm.Data["config.yaml"]
	require.Contains(t, data, from)
	cm.Data["config.yaml"] = strings.ReplaceAll(data, from, to)
}

// replaceConfigOf is replaceConfig for the ConfigMap whose name begins with
// prefix (a two-tier rendering has one per tier).
func replaceConfigOf(t *testing.T, r *Rendered, prefix, from, to string) {
	t.Helper()
	for _, cm := range r.ConfigMaps {
		if strings.HasPrefix(cm.Name, prefix) {
			data := cm.Data["config.yaml"]
			require.Contains(t, data, from)
			cm.Data["config.yaml"] = strings.ReplaceAll(data, from, to)
			return
		}
	}
	t.Fatalf("no ConfigMap %s*", prefix)
}

// tiers resolves a two-tier rendering into its agent and gateway.
func tiers(t *testing.T, r *Rendered) (agent, gateway *Subject) {
	t.Helper()
	subjects, err := ResolveAll(r)
	require.NoError(t, err)
	require.Len(t, subjects, 2)
	agent, gateway = SubjectOf(subjects, "DaemonSet"), SubjectOf(subjects, "StatefulSet")
	require.NotNil(t, agent)
	require.NotNil(t, gateway)
	return agent, gateway
}

// errLines splits a joined error into its lines ("" for nil).
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// repoFile reads a file of the repository.
func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readFile(filepath.Join(repoRoot, name))
	require.NoError(t, err)
	return b
}

// joinErrs joins a list of errors as Check does.
func joinErrs(errs []error) error {
	return errors.Join(errs...)
}
