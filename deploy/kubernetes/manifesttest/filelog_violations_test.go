// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// TestFilelogViolations breaks the two-tier agent's pod-log tailing one way at
// a time: each would lose or repeat lines across a restart, a rotation or a
// crash (the e2e agent tests measure it).
func TestFilelogViolations(t *testing.T) {
	const agentCM = "otelcol-resilient-config-agent"
	const key = "receiver filelog (pipeline logs/podlogs)"
	tests := []struct {
		name   string
		mutate func(t *testing.T, r *Rendered)
		want   []string
	}{
		{
			name: "rotated files not tailed",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, agentCM, "      - /var/log/pods/*/*/*.log.*\n", "")
			},
			want: []string{key + ": include must also match the kubelet's rotated files (*.log.*: an agent down during a rotation loses the unread rest of 0.log), got [/var/log/pods/*/*/*.log]"},
		},
		{
			name: "compressed files tailed",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, agentCM, "      - /var/log/pods/*/*/*.gz\n", "")
			},
			want: []string{key + ": exclude must match the compressed rotated files (*.gz, read as text otherwise), got [/var/log/pods/*_otelcol-resilient-agent-*_*/otelcol/*]"},
		},
		{
			name: "new files from the end",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, agentCM, "start_at: beginning", "start_at: end")
			},
			want: []string{key + `: start_at must be beginning (a file created while the agent is down would be skipped), got "end"`},
		},
		{
			name: "no offsets kept",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, agentCM, "    storage: file_storage/filelog\n", "")
			},
			want: []string{key + `: storage must name a file_storage extension of service.extensions (offsets kept across restarts), got ""`},
		},
		{
			name: "offsets on an emptyDir",
			mutate: func(_ *testing.T, r *Rendered) {
				vols := r.DaemonSets[0].Spec.Template.Spec.Volumes
				for i := range vols {
					if vols[i].Name == "offsets" {
						vols[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
					}
				}
			},
			want: []string{"extension file_storage/filelog: directory /var/lib/otelcol-resilient/offsets must be on a volume that outlives the pod (a hostPath of a DaemonSet, a volumeClaimTemplate), got volume offsets (emptyDir)"},
		},
		{
			name: "pod logs queued in memory first (spill)",
			mutate: func(t *testing.T, r *Rendered) {
				replaceConfigOf(t, r, agentCM, "      mode: write_ahead", "      mode: spill")
			},
			want: []string{key + `: processor resilientsink/podlogs persistence.mode must be write_ahead (filelog saves its offsets past every accepted batch; a crash loses what memory holds), got "spill"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, twoTierDir)
			require.NoError(t, Check(r), "the rendering passes before the mutation")
			tt.mutate(t, r)
			assert.ElementsMatch(t, tt.want, errLines(Check(r)), "exactly the expected violations")
		})
	}
}
