// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const monitoringDir = "../components/monitoring"

// TestMonitoringComponent adds the monitoring component to the base and to
// the DaemonSet overlay, as the README tells users to: each renders with one
// PodMonitor whose selector picks the collector pods and whose port is a
// named container port of the collector, and one PrometheusRule. The base
// alone has neither (it needs no CRDs).
func TestMonitoringComponent(t *testing.T) {
	assert.Empty(t, render(t, baseDir).PodMonitors, "the base needs no CRDs")
	for _, dir := range []string{baseDir, daemonSetDir} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			// kustomize takes only relative paths to other kustomizations.
			k := t.TempDir()
			res, comp := relTo(t, k, dir), relTo(t, k, monitoringDir)
			require.NoError(t, os.WriteFile(filepath.Join(k, "kustomization.yaml"),
				[]byte("resources: ["+res+"]\ncomponents: ["+comp+"]\n"), 0o600))
			r := render(t, k)
			require.NoError(t, Check(r), "every check passes, scraping once included")
			require.Len(t, r.PodMonitors, 1)
			require.Len(t, r.PrometheusRules, 1)
			assert.NotEmpty(t, r.PrometheusRules[0].Spec.Groups)
			w, err := r.Workload()
			require.NoError(t, err)
			pm := r.PodMonitors[0]
			sel, err := metav1LabelSelector(pm)
			require.NoError(t, err)
			assert.True(t, sel.Matches(labels.Set(w.Template.Labels)), "the PodMonitor selects the %s's pods", w.Kind)
			require.Len(t, pm.Spec.PodMetricsEndpoints, 1)
			ports := map[string]int32{}
			for _, c := range w.Template.Spec.Containers {
				for _, p := range c.Ports {
					ports[p.Name] = p.ContainerPort
				}
			}
			assert.Equal(t, int32(8888), ports[pm.Spec.PodMetricsEndpoints[0].Port], "the PodMonitor scrapes the telemetry port by name")
			assert.Equal(t, "/metrics", pm.Spec.PodMetricsEndpoints[0].Path)
		})
	}
}

func metav1LabelSelector(pm *PodMonitor) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
}

// relTo returns path relative to the directory base.
func relTo(t *testing.T, base, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	rel, err := filepath.Rel(base, abs)
	require.NoError(t, err)
	return rel
}
