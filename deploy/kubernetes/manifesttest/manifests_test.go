// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// TestManifests renders each kustomization, runs every check, and pins the
// sizing numbers that the README and the manifests' comments state.
func TestManifests(t *testing.T) {
	tests := []struct {
		name      string
		dir       string
		kind      string
		instances int
		budgetMiB int
		drain     time.Duration
		spill     time.Duration
		diskMiB   int
		deadMiB   int
		grace     int64
		limit     string
		gomem     string
		services  int
	}{
		{name: "base", dir: baseDir, kind: "StatefulSet", instances: 6, budgetMiB: 240, drain: 39 * time.Second, spill: 4800 * time.Millisecond,
			diskMiB: 3840, deadMiB: 1920, grace: 75, limit: "384Mi", gomem: "320MiB", services: 2},
		{name: "daemonset", dir: daemonSetDir, kind: "DaemonSet", instances: 6, budgetMiB: 120, drain: 21 * time.Second, spill: 2400 * time.Millisecond,
			diskMiB: 1920, deadMiB: 960, grace: 50, limit: "256Mi", gomem: "216MiB", services: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tt.dir)
			require.NoError(t, Check(r))
			assert.Len(t, r.ConfigMaps, 1)
			assert.Len(t, r.Services, tt.services)
			s := subject(t, r)
			assert.Equal(t, tt.kind, s.Workload.Kind)

			insts, err := s.Config.Instances()
			require.NoError(t, err)
			assert.Len(t, insts, tt.instances)
			budget, disk, dead, drain, spill := 0, 0, 0, time.Duration(0), time.Duration(0)
			for _, in := range insts {
				budget += in.MemoryLimitMiB
				drain += in.ShutdownTimeout
				spill += in.SpillTime()
				disk += in.PersistenceMaxMiB
				dead += in.DeadLetterMaxMiB
				assert.True(t, in.Spills(), "%s in %s spills", in.ID, in.Pipeline)
				assert.Equal(t, "/var/lib/otelcol-resilient/queue", in.PersistenceDirectory)
				assert.Equal(t, "/var/lib/otelcol-resilient/queue/dead-letters", in.DeadLetterDirectory, "dead letters next to the queue, on its volume")
			}
			assert.Equal(t, tt.budgetMiB, budget)
			assert.Equal(t, tt.drain, drain)
			assert.Equal(t, tt.spill, spill)
			assert.Equal(t, tt.diskMiB, disk)
			assert.Equal(t, tt.deadMiB, dead)
			assert.Equal(t, tt.grace, *s.Workload.Template.Spec.TerminationGracePeriodSeconds)
			assert.Equal(t, tt.limit, s.Container.Resources.Limits.Memory().String())
			assert.Equal(t, []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: tt.gomem}}, s.Container.Env)

			// The ConfigMap is generated with a content hash, and the pod
			// mounts that generated name.
			assert.Regexp(t, `^otelcol-resilient-config-[a-z0-9]{10}$`, r.ConfigMaps[0].Name)
			// The configuration is the file next to the kustomization.
			want, err := os.ReadFile(filepath.Join(tt.dir, "config.yaml"))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(s.ConfigYAML))
			for _, p := range s.Container.Ports {
				assert.Zero(t, p.HostPort, "port %s: no hostPort (the Services carry the traffic)", p.Name)
			}
		})
	}
}

func TestDaemonSetOverlay(t *testing.T) {
	r := render(t, daemonSetDir)
	assert.Empty(t, r.StatefulSets, "the overlay deletes the base StatefulSet")
	require.Len(t, r.DaemonSets, 1)
	ds := r.DaemonSets[0]
	require.NotNil(t, ds.Spec.UpdateStrategy.RollingUpdate)
	// One agent per node at a time: the queue folder on the hostPath is locked.
	assert.Equal(t, "0", ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge.String())
	assert.Equal(t, "1", ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.String())
	require.Len(t, r.Services, 1, "the overlay deletes the headless Service")
	require.NotNil(t, r.Services[0].Spec.InternalTrafficPolicy)
	assert.Equal(t, corev1.ServiceInternalTrafficPolicyLocal, *r.Services[0].Spec.InternalTrafficPolicy)
	assert.Equal(t, "agent", ds.Spec.Template.Labels["app.kubernetes.io/component"])

	base := render(t, baseDir)
	assert.Equal(t, base.Services[0].Spec.Ports, r.Services[0].Spec.Ports)
	assert.NotEqual(t, base.ConfigMaps[0].Name, r.ConfigMaps[0].Name, "the overlay replaces the configuration")
}

// TestRenderStrict shows that decoding is strict: a misspelt field or an
// unexpected kind fails instead of being dropped.
func TestRenderStrict(t *testing.T) {
	tests := []struct {
		name    string
		objects string
		wantErr string
	}{
		{
			name: "unknown field",
			objects: `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: otelcol
          image: x
          livenesProbe: {httpGet: {port: 1}}
`,
			wantErr: `json: unknown field "livenesProbe"`,
		},
		{
			name: "unexpected kind",
			objects: `apiVersion: v1
kind: Secret
metadata: {name: x}
`,
			wantErr: "unexpected object v1 Secret",
		},
		{
			name: "wrong api version",
			objects: `apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: x}
`,
			wantErr: "unexpected object extensions/v1beta1 Deployment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources: [objects.yaml]\n"), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "objects.yaml"), []byte(tt.objects), 0o600))
			_, err := Render(dir)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
