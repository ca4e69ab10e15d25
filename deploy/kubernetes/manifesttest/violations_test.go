// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestCheckCatchesViolations breaks one invariant at a time in the rendered
// base and expects Check to report exactly that, with its message.
func TestCheckCatchesViolations(t *testing.T) {
	ctr := func(r *Rendered) *corev1.Container { return &r.StatefulSets[0].Spec.Template.Spec.Containers[0] }
	pod := func(r *Rendered) *corev1.PodSpec { return &r.StatefulSets[0].Spec.Template.Spec }
	setMemory := func(r *Rendered, q string) {
		ctr(r).Resources.Limits[corev1.ResourceMemory] = resource.MustParse(q)
		ctr(r).Resources.Requests[corev1.ResourceMemory] = resource.MustParse(q)
	}
	tests := []struct {
		name   string
		mutate func(t *testing.T, r *Rendered)
		want   []string
	}{
		{
			name:   "grace period below the drain",
			mutate: func(_ *testing.T, r *Rendered) { pod(r).TerminationGracePeriodSeconds = ptr.To[int64](40) },
			want:   []string{"terminationGracePeriodSeconds must be at least 1m13.5s (1.25 x 58.8s: preStop 5s + drain 39s + spill 4.8s at 50 MiB/s + exporters 10s), got 40s"},
		},
		{
			// 60 s covered the bound itself (58.8 s), with 1.2 s to spare.
			name:   "grace period without headroom",
			mutate: func(_ *testing.T, r *Rendered) { pod(r).TerminationGracePeriodSeconds = ptr.To[int64](60) },
			want:   []string{"terminationGracePeriodSeconds must be at least 1m13.5s (1.25 x 58.8s: preStop 5s + drain 39s + spill 4.8s at 50 MiB/s + exporters 10s), got 1m0s"},
		},
		{
			name:   "longer shutdown.timeout: the drains of all pipelines add up",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "timeout: 3s", "timeout: 20s") },
			want:   []string{"terminationGracePeriodSeconds must be at least 2m17.25s (1.25 x 1m49.8s: preStop 5s + drain 1m30s + spill 4.8s at 50 MiB/s + exporters 10s), got 1m15s"},
		},
		{
			name: "unbounded shutdown strategy",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "strategy: graceful\n      timeout: 3s", "strategy: flush\n      timeout: 3s")
			},
			want: []string{
				"processor resilientsink/file (pipeline logs/file): shutdown.strategy must be graceful (a bounded drain), got flush",
				"processor resilientsink/file (pipeline metrics/file): shutdown.strategy must be graceful (a bounded drain), got flush",
				"processor resilientsink/file (pipeline traces/file): shutdown.strategy must be graceful (a bounded drain), got flush",
			},
		},
		{
			name:   "memory limit below budgets plus overhead",
			mutate: func(_ *testing.T, r *Rendered) { setMemory(r, "320Mi"); ctr(r).Env[0].Value = "280MiB" },
			want:   []string{"resources.limits.memory must be at least 368Mi (budgets 240Mi + overhead 128Mi), got 320Mi"},
		},
		{
			name:   "larger budget: counted once per pipeline, in memory and in the spill at shutdown",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "memory_limit_mib: 64", "memory_limit_mib: 96") },
			want: []string{
				"terminationGracePeriodSeconds must be at least 1m15.9s (1.25 x 1m0.72s: preStop 5s + drain 39s + spill 6.72s at 50 MiB/s + exporters 10s), got 1m15s",
				"resources.limits.memory must be at least 464Mi (budgets 336Mi + overhead 128Mi), got 384Mi",
				"env GOMEMLIMIT must be at least 376MiB (budgets 336MiB + baseline heap 40MiB), got 320MiB",
			},
		},
		{
			name:   "memory budget off",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "memory_limit_mib: 16", "memory_limit_mib: 0") },
			want: []string{
				"processor resilientsink/file (pipeline logs/file): memory_limit_mib must be greater than 0 to size the pod, got 0",
				"processor resilientsink/file (pipeline metrics/file): memory_limit_mib must be greater than 0 to size the pod, got 0",
				"processor resilientsink/file (pipeline traces/file): memory_limit_mib must be greater than 0 to size the pod, got 0",
			},
		},
		{
			name: "memory request below the limit",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Resources.Requests[corev1.ResourceMemory] = resource.MustParse("256Mi")
			},
			want: []string{"resources.requests.memory must equal the limit 384Mi (an evicted pod loses its queue), got 256Mi"},
		},
		{
			name:   "GOMEMLIMIT missing",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).Env = nil },
			want:   []string{"env GOMEMLIMIT must be set, got none"},
		},
		{
			name:   "GOMEMLIMIT at the limit",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).Env[0].Value = "384MiB" },
			want: []string{
				"env GOMEMLIMIT must be below the memory limit 384Mi, got 384MiB",
				"env GOMEMLIMIT must be 75%-90% of the memory limit 384Mi, got 384MiB (100%)",
			},
		},
		{
			name: "GOMEMLIMIT from the limit",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Env[0] = corev1.EnvVar{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{
					ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"},
				}}
			},
			want: []string{"env GOMEMLIMIT must be a literal below the limit (a resourceFieldRef yields the whole limit), got valueFrom"},
		},
		{
			name:   "GOMEMLIMIT below the budgets",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).Env[0].Value = "200MiB" },
			want: []string{
				"env GOMEMLIMIT must be at least 280MiB (budgets 240MiB + baseline heap 40MiB), got 200MiB",
				"env GOMEMLIMIT must be 75%-90% of the memory limit 384Mi, got 200MiB (52%)",
			},
		},
		{
			name:   "GOMEMLIMIT with a Kubernetes suffix",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).Env[0].Value = "320Mi" },
			want:   []string{`env GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got "320Mi"`},
		},
		{
			name: "root",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).SecurityContext.RunAsNonRoot = nil
				ctr(r).SecurityContext.RunAsUser = nil
				pod(r).SecurityContext.RunAsNonRoot = ptr.To(false)
				pod(r).SecurityContext.RunAsUser = ptr.To[int64](0)
			},
			want: []string{"securityContext.runAsNonRoot must be true, got false", "securityContext.runAsUser must be 10001, got 0"},
		},
		{
			name:   "writable root filesystem",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).SecurityContext.ReadOnlyRootFilesystem = ptr.To(false) },
			want:   []string{"securityContext.readOnlyRootFilesystem must be true, got false"},
		},
		{
			name:   "privilege escalation unset",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).SecurityContext.AllowPrivilegeEscalation = nil },
			want:   []string{"securityContext.allowPrivilegeEscalation must be false, got unset"},
		},
		{
			name: "added capability",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
			},
			want: []string{"securityContext.capabilities must drop ALL and add none, got {Add:[NET_ADMIN] Drop:[ALL]}"},
		},
		{
			name: "unconfined seccomp",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			},
			want: []string{"securityContext.seccompProfile.type must be RuntimeDefault, got {Type:Unconfined LocalhostProfile:<nil>}"},
		},
		{
			name:   "liveness on the metrics port",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).LivenessProbe.HTTPGet.Port = intstr.FromString("metrics") },
			want:   []string{"livenessProbe port must be the health_check port 13133, got metrics"},
		},
		{
			name:   "no readiness probe",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).ReadinessProbe = nil },
			want:   []string{"readinessProbe must be set, got none"},
		},
		{
			name:   "liveness as quick as readiness",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).LivenessProbe.FailureThreshold = 1 },
			want:   []string{"livenessProbe must tolerate failures longer than readinessProbe (10s), got 10s"},
		},
		{
			name: "component status feature gate",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Args = append(ctr(r).Args, "--feature-gates=+extension.healthcheck.useComponentStatus")
			},
			want: []string{
				`args must not enable extension.healthcheck.useComponentStatus (liveness would fail on a recoverable error), got ["--config=/etc/otelcol-resilient/config.yaml" "--feature-gates=+extension.healthcheck.useComponentStatus"]`,
				`args must not set --feature-gates (the collector runs with its default gates, as tested), got ["--config=/etc/otelcol-resilient/config.yaml" "--feature-gates=+extension.healthcheck.useComponentStatus"]`,
			},
		},
		{
			name: "alpha telemetry gate",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Args = append(ctr(r).Args, "--feature-gates=telemetry.newPipelineTelemetry")
			},
			want: []string{`args must not set --feature-gates (the collector runs with its default gates, as tested), got ["--config=/etc/otelcol-resilient/config.yaml" "--feature-gates=telemetry.newPipelineTelemetry"]`},
		},
		{
			name: "gate disabled, flag and value apart, in command",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Command = []string{"/otelcol-resilient", "--feature-gates", "-telemetry.disableHighCardinalityMetrics"}
			},
			want: []string{`args must not set --feature-gates (the collector runs with its default gates, as tested), got ["/otelcol-resilient" "--feature-gates" "-telemetry.disableHighCardinalityMetrics" "--config=/etc/otelcol-resilient/config.yaml"]`},
		},
		{
			name: "health_check on loopback",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "endpoint: 0.0.0.0:13133", "endpoint: 127.0.0.1:13133")
			},
			want: []string{`extensions::health_check host must be 0.0.0.0 (reachable on the pod IP), got "127.0.0.1"`},
		},
		{
			name: "filesink on the root filesystem",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "path: /var/lib/otelcol-resilient/", "path: /data/")
			},
			want: []string{"exporter filesink: path /data/{signal}.jsonl must be on a volume mount (the root filesystem is read-only), got none"},
		},
		{
			name:   "filesink volume read-only",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).VolumeMounts[1].ReadOnly = true },
			want:   []string{"exporter filesink: mount /var/lib/otelcol-resilient must be writable, got readOnly"},
		},
		{
			name: "filesink volume too small for its rotation",
			mutate: func(_ *testing.T, r *Rendered) {
				pod(r).Volumes[1].EmptyDir.SizeLimit = ptr.To(resource.MustParse("500Mi"))
			},
			want: []string{"exporter filesink: emptyDir data sizeLimit must be at least 750Mi (3 files with rotation), got 500Mi"},
		},
		{
			name:   "receiver port not declared",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "0.0.0.0:4317", "0.0.0.0:4319") },
			want: []string{
				"receivers::otlp::grpc port 4319 must be a container port, got [4317 4318 13133 8888]",
				"service otelcol-resilient must expose receivers::otlp::grpc port 4319, got targets [4317 4318 8888]",
				"service otelcol-resilient-headless must expose receivers::otlp::grpc port 4319, got targets [4317 4318 8888]",
			},
		},
		{
			name:   "receiver on loopback",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "0.0.0.0:4318", "localhost:4318") },
			want:   []string{`receivers::otlp::http host must be 0.0.0.0 (reachable on the pod IP), got "localhost"`},
		},
		{
			name:   "service selects other pods",
			mutate: func(_ *testing.T, r *Rendered) { r.Services[0].Spec.Selector = map[string]string{"app": "other"} },
			want:   []string{"service otelcol-resilient selector must match the pod labels map[app.kubernetes.io/component:gateway app.kubernetes.io/name:otelcol-resilient], got map[app:other]"},
		},
		{
			name:   "service targets an undeclared port",
			mutate: func(_ *testing.T, r *Rendered) { r.Services[0].Spec.Ports[1].TargetPort = intstr.FromString("http") },
			want: []string{
				"service otelcol-resilient port otlp-http targetPort must be a container port, got http",
				"service otelcol-resilient must expose receivers::otlp::http port 4318, got targets [4317 8888]",
			},
		},
		{
			name: "exporter queue on behind resilientsink",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "sending_queue:\n      enabled: false", "sending_queue:\n      enabled: true")
			},
			want: []string{"exporter otlp_grpc/backend behind resilientsink: sending_queue.enabled must be false (or wait_for_result true), got enabled"},
		},
		{
			name: "exporter defaults behind resilientsink",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "    sending_queue:\n      enabled: false\n    retry_on_failure:\n      enabled: false\n", "")
			},
			want: []string{"exporter otlp_grpc/backend behind resilientsink: sending_queue.enabled must be false (or wait_for_result true), got the default (enabled); retry_on_failure.enabled must be false, got the default (true)"},
		},
		{
			name: "processor after resilientsink",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "processors: [resilientsink/file]", "processors: [resilientsink/file, batch]")
			},
			want: []string{
				"pipeline logs/file: resilientsink must be the last processor, got [resilientsink/file batch]",
				"pipeline metrics/file: resilientsink must be the last processor, got [resilientsink/file batch]",
				"pipeline traces/file: resilientsink must be the last processor, got [resilientsink/file batch]",
			},
		},
		{
			name: "preStop exec",
			mutate: func(_ *testing.T, r *Rendered) {
				ctr(r).Lifecycle.PreStop = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "5"}}}
			},
			want: []string{"lifecycle.preStop must be a sleep (the image has no shell), got {Exec:&ExecAction{Command:[sleep 5],} HTTPGet:nil TCPSocket:nil Sleep:nil}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, baseDir)
			require.NoError(t, Check(r), "the base passes before the mutation")
			tt.mutate(t, r)
			assert.ElementsMatch(t, tt.want, errLines(Check(r)), "exactly the expected violations")
		})
	}
}
