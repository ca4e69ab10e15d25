// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestTierViolations breaks one cross-tier invariant at a time in the
// two-tier rendering and expects exactly its messages: Services, workloads
// and PDBs that select the other tier's pods, a gateway without a PDB or
// anti-affinity, an agent whose exporter could reach itself or pins one
// gateway pod, an init container image by tag, and pods scraped twice.
func TestTierViolations(t *testing.T) {
	service := func(r *Rendered, name string) *corev1.Service {
		for _, svc := range r.Services {
			if svc.Name == name {
				return svc
			}
		}
		t.Fatalf("no service %s", name)
		return nil
	}
	nameOnly := map[string]string{"app.kubernetes.io/name": "otelcol-resilient"}
	const agentExp = "dns:///otelcol-resilient-gateway-headless:4317"
	tests := []struct {
		name    string
		monitor bool
		mutate  func(t *testing.T, r *Rendered)
		want    []string
	}{
		{
			name:   "gateway Service selects by name only (today's selectors)",
			mutate: func(_ *testing.T, r *Rendered) { service(r, "otelcol-resilient-gateway").Spec.Selector = nameOnly },
			want: []string{
				"service otelcol-resilient-gateway selector map[app.kubernetes.io/name:otelcol-resilient] must select the pods of one tier, got DaemonSet otelcol-resilient-agent and StatefulSet otelcol-resilient-gateway (an agent could forward to another agent, or to itself)",
			},
		},
		{
			name: "headless Service the agents dial selects the agents too",
			mutate: func(_ *testing.T, r *Rendered) {
				service(r, "otelcol-resilient-gateway-headless").Spec.Selector = nameOnly
			},
			want: []string{
				"service otelcol-resilient-gateway-headless selector map[app.kubernetes.io/name:otelcol-resilient] must select the pods of one tier, got DaemonSet otelcol-resilient-agent and StatefulSet otelcol-resilient-gateway (an agent could forward to another agent, or to itself)",
				"exporter otlp_grpc/gateway of DaemonSet otelcol-resilient-agent must not send to service otelcol-resilient-gateway-headless, which selects its own pods (it could forward to itself, in a loop)",
			},
		},
		{
			name: "agent sends to its own Service",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, "otelcol-resilient-config-agent", agentExp, "otelcol-resilient-agent:4317")
			},
			want: []string{"exporter otlp_grpc/gateway of DaemonSet otelcol-resilient-agent must not send to service otelcol-resilient-agent, which selects its own pods (it could forward to itself, in a loop)"},
		},
		{
			name: "agent sends to its own receiver",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, "otelcol-resilient-config-agent", agentExp, "localhost:4317")
			},
			want: []string{"exporter otlp_grpc/gateway of DaemonSet otelcol-resilient-agent must not send to its own receiver receivers::otlp::grpc (a loop), got localhost:4317"},
		},
		{
			name: "agent pinned to one gateway pod through the ClusterIP Service",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, "otelcol-resilient-config-agent", agentExp, "otelcol-resilient-gateway.observability.svc:4317")
			},
			want: []string{`exporter otlp_grpc/gateway of DaemonSet otelcol-resilient-agent must reach service otelcol-resilient-gateway as a headless Service with dns:/// and balancer_name round_robin (one gRPC connection through a ClusterIP pins it to one pod), got clusterIP "", endpoint scheme "", balancer_name "round_robin"`},
		},
		{
			name: "agent without round robin",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, "otelcol-resilient-config-agent", "balancer_name: round_robin", "balancer_name: pick_first")
			},
			want: []string{`exporter otlp_grpc/gateway of DaemonSet otelcol-resilient-agent must reach service otelcol-resilient-gateway-headless as a headless Service with dns:/// and balancer_name round_robin (one gRPC connection through a ClusterIP pins it to one pod), got clusterIP "None", endpoint scheme "dns", balancer_name "pick_first"`},
		},
		{
			name:   "gateway without a PodDisruptionBudget",
			mutate: func(_ *testing.T, r *Rendered) { r.PDBs = nil },
			want:   []string{"StatefulSet otelcol-resilient-gateway runs 2 replicas and must have a PodDisruptionBudget selecting its pods (a node drain could evict them all at once), got none"},
		},
		{
			name:   "PodDisruptionBudget that allows no eviction",
			mutate: func(_ *testing.T, r *Rendered) { r.PDBs[0].Spec.MaxUnavailable = ptr.To(intstr.FromInt32(0)) },
			want:   []string{"poddisruptionbudget otelcol-resilient-gateway must keep a pod of StatefulSet otelcol-resilient-gateway and allow one eviction (maxUnavailable or minAvailable between 1 and 1), got maxUnavailable 0, minAvailable unset"},
		},
		{
			name: "PodDisruptionBudget over both tiers",
			mutate: func(_ *testing.T, r *Rendered) {
				r.PDBs[0].Spec.Selector.MatchLabels = nameOnly
			},
			want: []string{"poddisruptionbudget otelcol-resilient-gateway selector app.kubernetes.io/name=otelcol-resilient must select the pods of one workload, got 2 (DaemonSet otelcol-resilient-agent, StatefulSet otelcol-resilient-gateway)"},
		},
		{
			name:   "gateway without anti-affinity",
			mutate: func(_ *testing.T, r *Rendered) { r.StatefulSets[0].Spec.Template.Spec.Affinity = nil },
			want:   []string{"StatefulSet otelcol-resilient-gateway runs 2 replicas and must spread them over nodes (podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname or a zone, selecting its own pods), got none"},
		},
		{
			name:   "DaemonSet selector matches the gateway's pods",
			mutate: func(_ *testing.T, r *Rendered) { r.DaemonSets[0].Spec.Selector.MatchLabels = nameOnly },
			want:   []string{"DaemonSet otelcol-resilient-agent selector map[app.kubernetes.io/name:otelcol-resilient] must not match the pods of StatefulSet otelcol-resilient-gateway (two controllers would fight over them)"},
		},
		{
			name: "init container image by tag",
			mutate: func(_ *testing.T, r *Rendered) {
				r.DaemonSets[0].Spec.Template.Spec.InitContainers[0].Image = "busybox:1.37"
			},
			want: []string{`initContainers queue-owner: image must be pinned by digest (name@sha256:...; it runs as root, and a tag can be moved), got "busybox:1.37"`},
		},
		{
			name:    "PodMonitor and scrape annotation (today's pods)",
			monitor: true,
			mutate: func(_ *testing.T, r *Rendered) {
				r.StatefulSets[0].Spec.Template.Annotations = map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "8888"}
			},
			want: []string{"StatefulSet otelcol-resilient-gateway pods must be scraped once (a PodMonitor or the prometheus.io/scrape annotation), got 2: PodMonitor otelcol-resilient, annotation prometheus.io/scrape"},
		},
		{
			name:    "two PodMonitors",
			monitor: true,
			mutate: func(_ *testing.T, r *Rendered) {
				second := *r.PodMonitors[0]
				second.Name = "otelcol-resilient-agents"
				r.PodMonitors = append(r.PodMonitors, &second)
			},
			want: []string{
				"DaemonSet otelcol-resilient-agent pods must be scraped once (a PodMonitor or the prometheus.io/scrape annotation), got 2: PodMonitor otelcol-resilient, PodMonitor otelcol-resilient-agents",
				"StatefulSet otelcol-resilient-gateway pods must be scraped once (a PodMonitor or the prometheus.io/scrape annotation), got 2: PodMonitor otelcol-resilient, PodMonitor otelcol-resilient-agents",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, twoTierDir)
			if tt.monitor {
				r = renderWithMonitoring(t, twoTierDir)
			}
			require.NoError(t, Check(r), "the rendering passes before the mutation")
			tt.mutate(t, r)
			assert.ElementsMatch(t, tt.want, errLines(Check(r)), "exactly the expected violations")
		})
	}
}
