// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// replayJobs are the replay Jobs and the gateway each replays.
var replayJobs = []struct{ job, gateway, pod string }{
	{replayJobDir, baseDir, "otelcol-resilient-0"},
	{replayJobDir + "-two-tier", twoTierDir, "otelcol-resilient-gateway-0"},
	{replayJobDir + "-backend", backendDir, "otelcol-resilient-gateway-0"},
}

// TestReplayJob: each example Job passes every check against the gateway it
// replays, and the numbers its comments state hold.
func TestReplayJob(t *testing.T) {
	for _, tt := range replayJobs {
		t.Run(tt.job, func(t *testing.T) {
			job, gw := render(t, tt.job), render(t, tt.gateway)
			require.NoError(t, CheckReplayJob(job, gw))
			require.Len(t, job.Jobs, 1)
			j := job.Jobs[0]
			assert.Equal(t, tt.pod, j.Spec.Template.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].LabelSelector.MatchLabels[podNameLabel])
			assert.Equal(t, "replay", j.Spec.Template.Labels["app.kubernetes.io/component"])
			assert.Equal(t, "otelcol-resilient", j.Spec.Template.Labels["app.kubernetes.io/name"], "the PodMonitor scrapes its progress")
			s, err := resolveWorkload(job, Workload{Kind: "Job", Template: &j.Spec.Template})
			require.NoError(t, err)
			insts, err := s.Config.Instances()
			require.NoError(t, err)
			disk := 0
			for _, in := range insts {
				disk += in.PersistenceMaxMiB + in.DeadLetterMaxMiB
			}
			assert.Equal(t, 1152, disk, "config.yaml: 3 x 256 MiB queue + 3 x 128 MiB dead letters")
			assert.Equal(t, "256Mi", s.Container.Resources.Limits.Memory().String())
		})
	}
}

// TestReplayJobMatchesItsGateway: the base Job against the two-tier gateway
// names a claim of a StatefulSet that does not exist there, and the backend
// Job's exporter is not the plain gateway's.
func TestReplayJobMatchesItsGateway(t *testing.T) {
	assert.Equal(t, []string{"volumes must include a claim of a gateway pod (<volumeClaimTemplate>-otelcol-resilient-gateway-<ordinal>, ordinal below 2), got none"},
		errLines(CheckReplayJob(render(t, replayJobDir), render(t, twoTierDir))))
	lines := errLines(CheckReplayJob(render(t, replayJobDir+"-backend"), render(t, twoTierDir)))
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "exporter otlp_grpc/backend must have the gateway's configuration")
}

// TestReplayJobViolations breaks one invariant of the replay Job (or moves
// the gateway under it) at a time and expects exactly its message.
func TestReplayJobViolations(t *testing.T) {
	jobOf := func(r *Rendered) *batchv1.Job { return r.Jobs[0] }
	ctr := func(r *Rendered) *corev1.Container { return &jobOf(r).Spec.Template.Spec.Containers[0] }
	claim := func(r *Rendered) *corev1.PersistentVolumeClaimVolumeSource {
		return jobOf(r).Spec.Template.Spec.Volumes[1].PersistentVolumeClaim
	}
	const logsFolder = "/var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-logs"
	tests := []struct {
		name    string
		mutate  func(t *testing.T, job *Rendered)
		gateway func(t *testing.T, gw *Rendered)
		want    []string
	}{
		{
			name:   "claim of another pod than the one it runs beside",
			mutate: func(_ *testing.T, r *Rendered) { claim(r).ClaimName = "queue-otelcol-resilient-1" },
			want:   []string{"affinity.podAffinity must require the node of otelcol-resilient-1 (topologyKey kubernetes.io/hostname, statefulset.kubernetes.io/pod-name: otelcol-resilient-1): its claim is attached there"},
		},
		{
			name:   "claim of a pod the StatefulSet does not run",
			mutate: func(_ *testing.T, r *Rendered) { claim(r).ClaimName = "queue-otelcol-resilient-2" },
			want:   []string{"volumes must include a claim of a gateway pod (<volumeClaimTemplate>-otelcol-resilient-<ordinal>, ordinal below 2), got none"},
		},
		{
			name:   "claim mounted elsewhere than in the gateway",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).VolumeMounts[1].MountPath = "/data" },
			want:   []string{"volume queue (claim queue-otelcol-resilient-0) must be mounted where the gateway mounts queue, so that the paths of both configurations agree"},
		},
		{
			name:   "claim read-only",
			mutate: func(_ *testing.T, r *Rendered) { ctr(r).VolumeMounts[1].ReadOnly = true },
			want:   []string{"volume queue (claim queue-otelcol-resilient-0) must be writable (checkpoints, the write-ahead queue), got readOnly"},
		},
		{
			name: "a folder of another signal",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "resilientsink_backend-traces]", "resilientsink_backend-logs]")
			},
			want: []string{"receiver replay/traces: include " + logsFolder + " holds logs, pipeline traces/replay takes traces (letters of another signal are skipped)"},
		},
		{
			name: "the gateway moved its dead letters",
			gateway: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "directory: /var/lib/otelcol-resilient/queue/dead-letters", "directory: /var/lib/otelcol-resilient/queue/dead")
			},
			want: []string{
				"receiver replay/logs: include " + logsFolder + " must be a dead-letter folder of the gateway (dead_letter.directory/<processor id>-<signal>), got none of its instances' folders",
				"receiver replay/metrics: include /var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-metrics must be a dead-letter folder of the gateway (dead_letter.directory/<processor id>-<signal>), got none of its instances' folders",
				"receiver replay/traces: include /var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-traces must be a dead-letter folder of the gateway (dead_letter.directory/<processor id>-<signal>), got none of its instances' folders",
			},
		},
		{
			name: "checkpoint on the root filesystem",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "checkpoint: /var/lib/otelcol-resilient/queue/replay/backend-logs.checkpoint", "checkpoint: /tmp/logs.checkpoint")
			},
			want: []string{"receiver replay/logs: checkpoint /tmp/logs.checkpoint must be on the claim mounted at /var/lib/otelcol-resilient/queue (a Job's next pod resumes from it), got another volume"},
		},
		{
			name: "two receivers on one checkpoint",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "replay/backend-metrics.checkpoint", "replay/backend-logs.checkpoint")
			},
			want: []string{"checkpoint /var/lib/otelcol-resilient/queue/replay/backend-logs.checkpoint must belong to one replay receiver (it is locked), got [replay/logs replay/metrics]"},
		},
		{
			name: "one receiver in two pipelines",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "receivers: [replay/traces]", "receivers: [replay/logs]")
			},
			want: []string{"receiver replay/logs must be used in one pipeline (each pipeline's receiver takes the checkpoint's lock), got [logs/replay traces/replay]"},
		},
		{
			name:   "queue spills instead of writing ahead",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "mode: write_ahead", "mode: spill") },
			want:   []string{`processor resilientsink/replay: persistence must be write_ahead with sync on the claim mounted at /var/lib/otelcol-resilient/queue (the replay checkpoints a batch once it is accepted), got mode spill, sync true, directory "/var/lib/otelcol-resilient/queue"`},
		},
		{
			name: "queue drops under a fast replay",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "    overflow: block\n    block_timeout: 5s\n", "")
			},
			want: []string{"processor resilientsink/replay: overflow must be block or reject (the replay waits; a drop policy drops under a fast replay), got drop_oldest"},
		},
		{
			name:   "the gateway's processor id: its folders",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "resilientsink/replay", "resilientsink/backend") },
			want: []string{
				"processor resilientsink/backend (pipeline logs/replay): persistence.directory folder /var/lib/otelcol-resilient/queue/resilientsink_backend-logs must not be one of the gateway's (both lock it), got the same",
				"processor resilientsink/backend (pipeline logs/replay): dead_letter.directory folder " + logsFolder + " must not be one of the gateway's (both lock it), got the same",
				"processor resilientsink/backend (pipeline metrics/replay): persistence.directory folder /var/lib/otelcol-resilient/queue/resilientsink_backend-metrics must not be one of the gateway's (both lock it), got the same",
				"processor resilientsink/backend (pipeline metrics/replay): dead_letter.directory folder /var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-metrics must not be one of the gateway's (both lock it), got the same",
				"processor resilientsink/backend (pipeline traces/replay): persistence.directory folder /var/lib/otelcol-resilient/queue/resilientsink_backend-traces must not be one of the gateway's (both lock it), got the same",
				"processor resilientsink/backend (pipeline traces/replay): dead_letter.directory folder /var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-traces must not be one of the gateway's (both lock it), got the same",
			},
		},
		{
			name: "another backend than the gateway's",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "endpoint: otel-backend:4317", "endpoint: other:4317")
			},
			want: []string{`exporter otlp_grpc/backend must have the gateway's configuration, got {"endpoint":"other:4317","retry_on_failure":{"enabled":false},"sending_queue":{"enabled":false},"timeout":"5s","tls":{"insecure":true}}, want {"endpoint":"otel-backend:4317","retry_on_failure":{"enabled":false},"sending_queue":{"enabled":false},"timeout":"5s","tls":{"insecure":true}}`},
		},
		{
			name: "two pods at once, none restarted",
			mutate: func(_ *testing.T, r *Rendered) {
				jobOf(r).Spec.PodReplacementPolicy = nil
				jobOf(r).Spec.Parallelism = ptr.To[int32](2)
				jobOf(r).Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
			},
			want: []string{
				"job otelcol-resilient-replay: parallelism must be 1 (one collector on the checkpoints), got 2",
				"job otelcol-resilient-replay: podReplacementPolicy must be Failed (a replacement pod starts only once the old one is gone, and with it its locks), got unset",
				`job otelcol-resilient-replay: restartPolicy must be OnFailure (a crashed collector resumes from its checkpoints), got "Never"`,
			},
		},
		{
			name:   "memory below the budget",
			mutate: func(t *testing.T, r *Rendered) { replaceConfig(t, r, "memory_limit_mib: 32", "memory_limit_mib: 64") },
			want: []string{
				"resources.limits.memory must be at least 320Mi (budgets 192Mi + overhead 128Mi), got 256Mi",
				"env GOMEMLIMIT must be at least 232MiB (budgets 192MiB + baseline heap 40MiB), got 216MiB",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, gw := render(t, replayJobDir), render(t, baseDir)
			require.NoError(t, CheckReplayJob(job, gw), "the renderings pass before the mutation")
			if tt.mutate != nil {
				tt.mutate(t, job)
			}
			if tt.gateway != nil {
				tt.gateway(t, gw)
			}
			assert.ElementsMatch(t, tt.want, errLines(CheckReplayJob(job, gw)), "exactly the expected violations")
		})
	}
}
