// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The persistence.directory of every instance in both renderings, and the
// processors that name it, as the messages show them.
const queueDirKey = "persistence.directory /var/lib/otelcol-resilient/queue of resilientsink/backend, resilientsink/file"

// deadDirKey is the dead_letter.directory of every instance, next to the
// queues on the same volume: every check of the queues' volume holds for it.
const deadDirKey = "dead_letter.directory /var/lib/otelcol-resilient/queue/dead-letters of resilientsink/backend, resilientsink/file"

// TestPersistenceViolations breaks one persistence invariant at a time, in the
// base (StatefulSet) or the DaemonSet overlay, and expects exactly its
// message: the grace period must cover the spill after the drains, and the
// queues must be on a volume that outlives the pod, of their own per pod.
func TestPersistenceViolations(t *testing.T) {
	sts := func(r *Rendered) *appsv1.StatefulSet { return r.StatefulSets[0] }
	ds := func(r *Rendered) *appsv1.DaemonSet { return r.DaemonSets[0] }
	stsCtr := func(r *Rendered) *corev1.Container { return &sts(r).Spec.Template.Spec.Containers[0] }
	tests := []struct {
		name   string
		dir    string
		mutate func(t *testing.T, r *Rendered)
		want   []string
	}{
		{
			// 70 s covered 1.25 x (preStop + drains + exporters) (67.5 s) before the spill counted.
			name: "grace period covers the drains but not the spill",
			dir:  baseDir,
			mutate: func(_ *testing.T, r *Rendered) {
				sts(r).Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](70)
			},
			want: []string{"terminationGracePeriodSeconds must be at least 1m13.5s (1.25 x 58.8s: preStop 5s + drain 39s + spill 4.8s at 50 MiB/s + exporters 10s), got 1m10s"},
		},
		{
			name: "agent grace period covers the drains but not the spill",
			dir:  daemonSetDir,
			mutate: func(_ *testing.T, r *Rendered) {
				ds(r).Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](46)
			},
			want: []string{"terminationGracePeriodSeconds must be at least 48s (1.25 x 38.4s: preStop 5s + drain 21s + spill 2.4s at 50 MiB/s + exporters 10s), got 46s"},
		},
		{
			name: "write_ahead has nothing left to write at shutdown",
			dir:  baseDir,
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "mode: spill", "mode: write_ahead")
				sts(r).Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](70)
			},
		},
		{
			name: "spill on an emptyDir",
			dir:  baseDir,
			mutate: func(_ *testing.T, r *Rendered) {
				spec := &sts(r).Spec.Template.Spec
				spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
				stsCtr(r).VolumeMounts[2].Name = "scratch"
			},
			want: []string{queueDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir scratch (deleted with the pod; it survives container restarts only)", deadDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir scratch (deleted with the pod; it survives container restarts only)"},
		},
		{
			// Without its own mount the folder lands in filesink's emptyDir.
			name:   "spill without a mount for the directory",
			dir:    baseDir,
			mutate: func(_ *testing.T, r *Rendered) { stsCtr(r).VolumeMounts = stsCtr(r).VolumeMounts[:2] },
			want:   []string{queueDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir data (deleted with the pod; it survives container restarts only)", deadDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir data (deleted with the pod; it survives container restarts only)"},
		},
		{
			name: "agent spill on an emptyDir instead of the hostPath",
			dir:  daemonSetDir,
			mutate: func(_ *testing.T, r *Rendered) {
				v := &ds(r).Spec.Template.Spec.Volumes[2]
				require.Equal(t, "queue", v.Name)
				v.VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
			},
			want: []string{queueDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir queue (deleted with the pod; it survives container restarts only)", deadDirKey + " must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet), got emptyDir queue (deleted with the pod; it survives container restarts only)"},
		},
		{
			name: "directory off every mount",
			dir:  baseDir,
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "directory: /var/lib/otelcol-resilient/queue", "directory: /queue")
			},
			want: []string{
				"persistence.directory /queue of resilientsink/backend, resilientsink/file must be on a volume mount (the root filesystem is read-only), got none",
				"dead_letter.directory /queue/dead-letters of resilientsink/backend, resilientsink/file must be on a volume mount (the root filesystem is read-only), got none",
			},
		},
		{
			name: "relative directory",
			dir:  baseDir,
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "directory: /var/lib/otelcol-resilient/queue", "directory: ./data/queue")
			},
			want: []string{
				`persistence.directory ./data/queue of resilientsink/backend, resilientsink/file must be absolute (the working directory is on the read-only root filesystem), got "./data/queue"`,
				`dead_letter.directory ./data/queue/dead-letters of resilientsink/backend, resilientsink/file must be absolute (the working directory is on the read-only root filesystem), got "./data/queue/dead-letters"`,
			},
		},
		{
			name:   "queue mount read-only",
			dir:    baseDir,
			mutate: func(_ *testing.T, r *Rendered) { stsCtr(r).VolumeMounts[2].ReadOnly = true },
			want:   []string{queueDirKey + ": mount /var/lib/otelcol-resilient/queue must be writable, got readOnly", deadDirKey + ": mount /var/lib/otelcol-resilient/queue must be writable, got readOnly"},
		},
		{
			name: "claim smaller than the disk budgets",
			dir:  baseDir,
			mutate: func(_ *testing.T, r *Rendered) {
				sts(r).Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("5Gi")
			},
			// 5Gi held the queues (3840 MiB) before the dead letters (1920 MiB) moved in beside them.
			want: []string{"volumeClaimTemplate queue storage request must be at least 5760Mi (the persistence.max_megabytes and dead_letter.max_megabytes of its instances), got 5Gi"},
		},
		{
			name: "larger disk budget: counted once per pipeline",
			dir:  baseDir,
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfig(t, r, "max_megabytes: 1024", "max_megabytes: 2048")
			},
			want: []string{"volumeClaimTemplate queue storage request must be at least 8832Mi (the persistence.max_megabytes and dead_letter.max_megabytes of its instances), got 8Gi"},
		},
		{
			name: "one claim shared by the StatefulSet's pods",
			dir:  baseDir,
			mutate: func(_ *testing.T, r *Rendered) {
				sts(r).Spec.VolumeClaimTemplates = nil
				spec := &sts(r).Spec.Template.Spec
				spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "queue", VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "otelcol-queue"},
				}})
			},
			want: []string{queueDirKey + " must be on a claim of its own per pod (a volumeClaimTemplate of a StatefulSet; two collectors on one folder: the second fails Start), got claim otelcol-queue shared by the StatefulSet's pods", deadDirKey + " must be on a claim of its own per pod (a volumeClaimTemplate of a StatefulSet; two collectors on one folder: the second fails Start), got claim otelcol-queue shared by the StatefulSet's pods"},
		},
		{
			name: "hostPath on the StatefulSet",
			dir:  baseDir,
			mutate: func(_ *testing.T, r *Rendered) {
				sts(r).Spec.VolumeClaimTemplates = nil
				spec := &sts(r).Spec.Template.Spec
				spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "queue", VolumeSource: corev1.VolumeSource{
					HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/otelcol-resilient/queue"},
				}})
			},
			want: []string{queueDirKey + " must be on a hostPath only in a DaemonSet (a replacement StatefulSet pod may run on another node and never replay it), got hostPath /var/lib/otelcol-resilient/queue", deadDirKey + " must be on a hostPath only in a DaemonSet (a replacement StatefulSet pod may run on another node and never replay it), got hostPath /var/lib/otelcol-resilient/queue"},
		},
		{
			name: "agent rollout with surge on the hostPath",
			dir:  daemonSetDir,
			mutate: func(_ *testing.T, r *Rendered) {
				ru := ds(r).Spec.UpdateStrategy.RollingUpdate
				ru.MaxSurge, ru.MaxUnavailable = ptr.To(intstr.FromInt32(1)), ptr.To(intstr.FromInt32(0))
			},
			want: []string{
				"updateStrategy.rollingUpdate.maxSurge must be 0 with " + queueDirKey + " on hostPath /var/lib/otelcol-resilient/queue (a surge agent finds the folders locked and never becomes ready), got 1",
				"updateStrategy.rollingUpdate.maxSurge must be 0 with " + deadDirKey + " on hostPath /var/lib/otelcol-resilient/queue (a surge agent finds the folders locked and never becomes ready), got 1",
			},
		},
		{
			name:   "StatefulSet without its headless Service",
			dir:    baseDir,
			mutate: func(_ *testing.T, r *Rendered) { r.Services = r.Services[:1] },
			want:   []string{`statefulset otelcol-resilient serviceName must name a headless Service (clusterIP None) of the rendering, got "otelcol-resilient-headless"`},
		},
		{
			name: "init container with more than chown",
			dir:  daemonSetDir,
			mutate: func(_ *testing.T, r *Rendered) {
				sc := ds(r).Spec.Template.Spec.InitContainers[0].SecurityContext
				sc.Capabilities.Add = append(sc.Capabilities.Add, "SYS_ADMIN")
				sc.AllowPrivilegeEscalation = nil
				sc.ReadOnlyRootFilesystem = ptr.To(false)
			},
			want: []string{
				"initContainers queue-owner: securityContext.allowPrivilegeEscalation must be false, got unset",
				"initContainers queue-owner: securityContext.readOnlyRootFilesystem must be true, got false",
				"initContainers queue-owner: securityContext.capabilities must drop ALL and add at most [CHOWN DAC_READ_SEARCH], got {Add:[CHOWN DAC_READ_SEARCH SYS_ADMIN] Drop:[ALL]}",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tt.dir)
			require.NoError(t, Check(r), "the rendering passes before the mutation")
			tt.mutate(t, r)
			assert.ElementsMatch(t, tt.want, errLines(Check(r)), "exactly the expected violations")
		})
	}
}

// TestPersistenceFolderPerInstance: one processor ID in two pipelines of one
// signal gives two instances the same folder; the second would fail Start.
func TestPersistenceFolderPerInstance(t *testing.T) {
	r := render(t, baseDir)
	replaceConfig(t, r, "  pipelines:\n", "  pipelines:\n    logs/again:\n      receivers: [otlp]\n      processors: [resilientsink/backend]\n      exporters: [otlp_grpc/backend]\n")
	s := subject(t, r)
	const msg = "must belong to one instance and one use (each locks its own; give each pipeline its own processor id, and dead_letter.directory a path of its own), got "
	assert.Equal(t, []string{
		"folder /var/lib/otelcol-resilient/queue/dead-letters/resilientsink_backend-logs " + msg + "logs/again (dead_letter.directory), logs/backend (dead_letter.directory)",
		"folder /var/lib/otelcol-resilient/queue/resilientsink_backend-logs " + msg + "logs/again (persistence.directory), logs/backend (persistence.directory)",
	}, errLines(joinErrs(s.checkPersistence(r))))
}

// TestDeadLettersBesideTheQueue: dead letters in the persistence directory
// itself would give an instance's queue and its dead letters one folder (the
// processor refuses that config at startup too).
func TestDeadLettersBesideTheQueue(t *testing.T) {
	r := render(t, baseDir)
	replaceConfig(t, r, "directory: /var/lib/otelcol-resilient/queue/dead-letters", "directory: /var/lib/otelcol-resilient/queue")
	s := subject(t, r)
	var want []string
	for _, f := range []string{"backend-logs", "backend-metrics", "backend-traces", "file-logs", "file-metrics", "file-traces"} {
		p := strings.SplitN(f, "-", 2)
		want = append(want, "folder /var/lib/otelcol-resilient/queue/resilientsink_"+f+
			" must belong to one instance and one use (each locks its own; give each pipeline its own processor id, and dead_letter.directory a path of its own), got "+
			p[1]+"/"+p[0]+" (dead_letter.directory), "+p[1]+"/"+p[0]+" (persistence.directory)")
	}
	assert.Equal(t, want, errLines(joinErrs(s.checkPersistence(r))))
}

// TestPersistenceSharedClaimDeployment: a Deployment may keep its queues on
// one claim only while it never runs two pods: one replica, Recreate.
func TestPersistenceSharedClaimDeployment(t *testing.T) {
	deployment := func(strategy appsv1.DeploymentStrategyType) *Rendered {
		r := render(t, baseDir)
		st := r.StatefulSets[0]
		st.Spec.Template.Spec.Volumes = append(st.Spec.Template.Spec.Volumes, corev1.Volume{Name: "queue", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "otelcol-queue"},
		}})
		r.Deployments = []*appsv1.Deployment{{ObjectMeta: st.ObjectMeta, Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1), Selector: st.Spec.Selector, Template: st.Spec.Template,
			Strategy: appsv1.DeploymentStrategy{Type: strategy},
		}}}
		r.StatefulSets = nil
		return r
	}
	require.NoError(t, Check(deployment(appsv1.RecreateDeploymentStrategyType)))
	const msg = " must be on a claim of its own per pod (a volumeClaimTemplate of a StatefulSet; two collectors on one folder: the second fails Start), got claim otelcol-queue shared by the Deployment's pods"
	assert.ElementsMatch(t, []string{queueDirKey + msg, deadDirKey + msg},
		errLines(Check(deployment(appsv1.RollingUpdateDeploymentStrategyType))))
}
