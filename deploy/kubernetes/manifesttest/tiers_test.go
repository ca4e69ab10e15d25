// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestTwoTier renders overlays/two-tier: both tiers pass every check, each
// with its own names and selectors, the agent sends to the gateway's headless
// Service with client-side round robin, and the agent's sizing is what its
// files say.
func TestTwoTier(t *testing.T) {
	r := render(t, twoTierDir)
	require.NoError(t, Check(r))
	agent, gateway := tiers(t, r)
	assert.Equal(t, "otelcol-resilient-agent", agent.Workload.Name)
	assert.Equal(t, "otelcol-resilient-gateway", gateway.Workload.Name)
	assert.Equal(t, "otelcol-resilient-gateway-headless", gateway.Workload.StatefulSet.Spec.ServiceName)

	// Every Service selects one tier's pods.
	owner := map[string]string{}
	for _, svc := range r.Services {
		for _, s := range []*Subject{agent, gateway} {
			if selects(svc.Spec.Selector, s.Workload.Template.Labels) {
				assert.Empty(t, owner[svc.Name], "service %s selects one tier", svc.Name)
				owner[svc.Name] = s.Workload.Name
			}
		}
	}
	assert.Equal(t, map[string]string{
		"otelcol-resilient-agent":            "otelcol-resilient-agent",
		"otelcol-resilient-gateway":          "otelcol-resilient-gateway",
		"otelcol-resilient-gateway-headless": "otelcol-resilient-gateway",
	}, owner)

	// The gateway: a PDB and anti-affinity.
	require.Len(t, r.PDBs, 1)
	assert.Equal(t, "otelcol-resilient-gateway", r.PDBs[0].Name)
	assert.Equal(t, "1", r.PDBs[0].Spec.MaxUnavailable.String())
	assert.True(t, spreads(gateway.Workload.Template))

	// The agent dials the headless Service through gRPC's own DNS resolver.
	var exp struct {
		Endpoint     string `json:"endpoint"`
		BalancerName string `json:"balancer_name"`
	}
	require.NoError(t, decodeComponent(agent.Config.Exporters["otlp_grpc/gateway"], &exp))
	assert.Equal(t, "dns:///otelcol-resilient-gateway-headless:4317", exp.Endpoint)
	assert.Equal(t, "round_robin", exp.BalancerName)
	assert.Equal(t, int64(75), *gateway.Workload.Template.Spec.TerminationGracePeriodSeconds)
	want, err := os.ReadFile(filepath.Join(baseDir, "config.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(gateway.ConfigYAML))
}

// TestTwoTierAgent pins the two-tier agent's sizing (as its files state it),
// its mounts for pod logs and offsets, and its configuration file.
func TestTwoTierAgent(t *testing.T) {
	agent, _ := tiers(t, render(t, twoTierDir))
	insts, err := agent.Config.Instances()
	require.NoError(t, err)
	budget, drain, spill := 0, time.Duration(0), time.Duration(0)
	for _, in := range insts {
		budget += in.MemoryLimitMiB
		drain += in.ShutdownTimeout
		spill += in.SpillTime()
		// Pod logs on disk before filelog saves offsets past them.
		assert.Equal(t, in.ID != "resilientsink/podlogs", in.Spills(), "%s spills", in.ID)
	}
	assert.Len(t, insts, 4)
	assert.Equal(t, 160, budget)
	assert.Equal(t, 20*time.Second, drain)
	assert.Equal(t, 1920*time.Millisecond, spill)
	assert.Equal(t, int64(50), *agent.Workload.Template.Spec.TerminationGracePeriodSeconds)
	assert.Equal(t, "320Mi", agent.Container.Resources.Limits.Memory().String())
	assert.Equal(t, []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "272MiB"}}, agent.Container.Env)

	// Pod logs read-only; offsets on the node, handed to the collector.
	m, ok := mountFor(agent.Container, "/var/log/pods/x")
	require.True(t, ok)
	assert.True(t, m.ReadOnly)
	m, ok = mountFor(agent.Container, "/var/lib/otelcol-resilient/offsets/x")
	require.True(t, ok)
	v, _ := volume(agent.Workload.Template, m.Name)
	require.NotNil(t, v.HostPath)
	assert.Contains(t, agent.Workload.Template.Spec.InitContainers[0].Command, "/var/lib/otelcol-resilient/offsets")

	want, err := os.ReadFile(filepath.Join(twoTierDir, "agent", "config.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(agent.ConfigYAML))
}

// TestBackendOverlay renders overlays/backend: the two tiers, the gateway's
// backend exporter configured from the Secret otel-backend (endpoint and
// authorization through the environment, the CA bundle as a file).
func TestBackendOverlay(t *testing.T) {
	r := render(t, backendDir)
	require.NoError(t, Check(r))
	_, gateway := tiers(t, r)
	want, err := os.ReadFile(filepath.Join(backendDir, "config.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(gateway.ConfigYAML))
	var exp struct {
		Endpoint string `json:"endpoint"`
		TLS      struct {
			Insecure bool   `json:"insecure"`
			CAFile   string `json:"ca_file"`
		} `json:"tls"`
		Headers map[string]string `json:"headers"`
	}
	require.NoError(t, decodeComponent(gateway.Config.Exporters["otlp_grpc/backend"], &exp))
	assert.Equal(t, "${env:BACKEND_ENDPOINT}", exp.Endpoint)
	assert.Equal(t, "${env:BACKEND_AUTHORIZATION}", exp.Headers["authorization"])
	assert.False(t, exp.TLS.Insecure)

	env := map[string]string{}
	for _, e := range gateway.Container.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			env[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
	}
	assert.Equal(t, map[string]string{"BACKEND_ENDPOINT": "otel-backend/endpoint", "BACKEND_AUTHORIZATION": "otel-backend/authorization"}, env)
	m, ok := mountFor(gateway.Container, exp.TLS.CAFile)
	require.True(t, ok, "the CA file is on a mount")
	assert.True(t, m.ReadOnly)
	v, _ := volume(gateway.Workload.Template, m.Name)
	require.NotNil(t, v.Secret)
	assert.Equal(t, "otel-backend", v.Secret.SecretName)
}

// TestTwoTierMonitoring adds the monitoring component to the two tiers: its
// PodMonitor scrapes both tiers' pods, each once.
func TestTwoTierMonitoring(t *testing.T) {
	r := renderWithMonitoring(t, twoTierDir)
	require.NoError(t, Check(r))
	require.Len(t, r.PodMonitors, 1)
	sel, err := metav1LabelSelector(r.PodMonitors[0])
	require.NoError(t, err)
	agent, gateway := tiers(t, r)
	assert.True(t, sel.Matches(labels.Set(agent.Workload.Template.Labels)))
	assert.True(t, sel.Matches(labels.Set(gateway.Workload.Template.Labels)))
}

// renderWithMonitoring renders dir with components/monitoring added, as the
// README tells users to.
func renderWithMonitoring(t *testing.T, dir string) *Rendered {
	t.Helper()
	return renderWithComponents(t, dir, monitoringDir)
}

// renderWithComponents renders dir with the kustomize components comps.
func renderWithComponents(t *testing.T, dir string, comps ...string) *Rendered {
	t.Helper()
	k := t.TempDir()
	rel := make([]string, len(comps))
	for i, c := range comps {
		rel[i] = relTo(t, k, c)
	}
	require.NoError(t, os.WriteFile(filepath.Join(k, "kustomization.yaml"),
		[]byte("resources: ["+relTo(t, k, dir)+"]\ncomponents: ["+strings.Join(rel, ", ")+"]\n"), 0o600))
	return render(t, k)
}

// TestScrapeAnnotationsComponent: components/scrape-annotations annotates
// both tiers' pods for annotation-based discovery; with the PodMonitor of
// components/monitoring too, every pod would be scraped twice.
func TestScrapeAnnotationsComponent(t *testing.T) {
	r := renderWithComponents(t, twoTierDir, scrapeAnnotationsDir)
	require.NoError(t, Check(r))
	agent, gateway := tiers(t, r)
	for _, s := range []*Subject{agent, gateway} {
		assert.Equal(t, "true", s.Workload.Template.Annotations[ScrapeAnnotation], s.Workload.Name)
		assert.Equal(t, "8888", s.Workload.Template.Annotations["prometheus.io/port"], s.Workload.Name)
	}
	r = renderWithComponents(t, twoTierDir, scrapeAnnotationsDir, monitoringDir)
	assert.ElementsMatch(t, []string{
		"DaemonSet otelcol-resilient-agent pods must be scraped once (a PodMonitor or the prometheus.io/scrape annotation), got 2: PodMonitor otelcol-resilient, annotation prometheus.io/scrape",
		"StatefulSet otelcol-resilient-gateway pods must be scraped once (a PodMonitor or the prometheus.io/scrape annotation), got 2: PodMonitor otelcol-resilient, annotation prometheus.io/scrape",
	}, errLines(Check(r)))
}
