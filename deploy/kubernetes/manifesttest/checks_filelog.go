// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// filelogConfig is the part of a filelog receiver the checks read.
type filelogConfig struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
	StartAt string   `json:"start_at"`
	Storage string   `json:"storage"`
}

// checkFilelog checks that every filelog receiver tailing the kubelet's log
// files neither loses nor repeats lines across a restart or a rotation: it
// includes the rotated files (0.log.<time>) but not the compressed ones,
// keeps its offsets in an enabled file_storage on a volume that outlives the
// pod, starts files without an offset at the beginning, and feeds only
// resilientsink instances that are on disk before they accept (write_ahead:
// filelog saves its offsets past every accepted batch).
func (s *Subject) checkFilelog() []error {
	insts, err := s.Config.Instances()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, pid := range sortedKeys(s.Config.Service.Pipelines) {
		for _, id := range s.Config.Service.Pipelines[pid].Receivers {
			if componentType(id) != "filelog" {
				continue
			}
			var cfg filelogConfig
			if err := decodeComponent(s.Config.Receivers[id], &cfg); err != nil {
				errs = append(errs, fmt.Errorf("receiver %s: %w", id, err))
				continue
			}
			key := fmt.Sprintf("receiver %s (pipeline %s)", id, pid)
			errs = append(errs, s.checkFilelogFiles(key, cfg)...)
			for _, in := range insts {
				if in.Pipeline == pid && in.PersistenceMode != "write_ahead" {
					errs = append(errs, fmt.Errorf("%s: processor %s persistence.mode must be write_ahead (filelog saves its offsets past every accepted batch; a crash loses what memory holds), got %q", key, in.ID, modeOrOff(in)))
				}
			}
		}
	}
	return errs
}

func (s *Subject) checkFilelogFiles(key string, cfg filelogConfig) []error {
	var errs []error
	if slices.ContainsFunc(cfg.Include, func(p string) bool { return strings.HasSuffix(p, ".log") }) {
		if !slices.ContainsFunc(cfg.Include, func(p string) bool { return strings.HasSuffix(p, ".log.*") }) {
			errs = append(errs, fmt.Errorf("%s: include must also match the kubelet's rotated files (*.log.*: an agent down during a rotation loses the unread rest of 0.log), got %v", key, cfg.Include))
		}
		if !slices.ContainsFunc(cfg.Exclude, func(p string) bool { return strings.HasSuffix(p, "*.gz") }) {
			errs = append(errs, fmt.Errorf("%s: exclude must match the compressed rotated files (*.gz, read as text otherwise), got %v", key, cfg.Exclude))
		}
	}
	if cfg.StartAt != "beginning" {
		errs = append(errs, fmt.Errorf("%s: start_at must be beginning (a file created while the agent is down would be skipped), got %q", key, cfg.StartAt))
	}
	if err := s.checkOffsetStorage(key, cfg.Storage); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkOffsetStorage checks that storage names an enabled file_storage whose
// directory is on a writable volume that outlives the pod.
func (s *Subject) checkOffsetStorage(key, id string) error {
	if componentType(id) != "file_storage" || !slices.Contains(s.Config.Service.Extensions, id) {
		return fmt.Errorf("%s: storage must name a file_storage extension of service.extensions (offsets kept across restarts), got %q", key, id)
	}
	var cfg struct {
		Directory string `json:"directory"`
	}
	if err := decodeComponent(s.Config.Extensions[id], &cfg); err != nil {
		return fmt.Errorf("extension %s: %w", id, err)
	}
	m, ok := mountFor(s.Container, strings.TrimSuffix(cfg.Directory, "/")+"/offsets")
	if !ok || m.ReadOnly {
		return fmt.Errorf("extension %s: directory %s must be on a writable volume mount, got none", id, cfg.Directory)
	}
	v, _ := volume(s.Workload.Template, m.Name)
	_, claim := s.Workload.ClaimTemplate(m.Name)
	if !claim && (v.HostPath == nil || s.Workload.DaemonSet == nil) {
		return fmt.Errorf("extension %s: directory %s must be on a volume that outlives the pod (a hostPath of a DaemonSet, a volumeClaimTemplate), got volume %s (%s)", id, cfg.Directory, m.Name, volumeKind(v.VolumeSource))
	}
	return nil
}

// volumeKind names the kind of a volume source, for messages.
func volumeKind(v corev1.VolumeSource) string {
	switch {
	case v.HostPath != nil:
		return "hostPath"
	case v.EmptyDir != nil:
		return "emptyDir"
	case v.PersistentVolumeClaim != nil:
		return "persistentVolumeClaim"
	case v.Ephemeral != nil:
		return "ephemeral"
	default:
		return "other"
	}
}

func modeOrOff(in Instance) string {
	if in.PersistenceDirectory == "" {
		return "off"
	}
	return in.PersistenceMode
}
