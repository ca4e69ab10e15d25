// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Sizing constants of the checks; deploy/kubernetes/README.md explains them.
const (
	// ContainerName is the collector's container in the pod.
	ContainerName = "otelcol"
	// RunAsUser is the non-root UID of the image (Dockerfile USER).
	RunAsUser = 10001
	// OverheadMiB is the memory above the sum of the resilientsink budgets:
	// the collector's baseline RSS (about 35-50 MiB), receiver decode and
	// exporter buffers, GC headroom.
	OverheadMiB = 128
	// BaselineHeapMiB is the heap of an idle collector; GOMEMLIMIT must leave
	// at least this much above the budgets, or the GC runs flat out when the
	// queues are full.
	BaselineHeapMiB = 40
	// ExporterShutdownMargin is the time allowed, after the last resilientsink
	// drains, for the receivers' and exporters' own Shutdown.
	ExporterShutdownMargin = 10 * time.Second
	// DiskWriteMiBPerSecond is the assumed worst-case speed at which a
	// spilling resilientsink writes what it still holds at Shutdown, counted
	// in memory_limit_mib (estimated heap). The OTLP protobuf on disk is about
	// a quarter of that heap, so this asks about 13 MiB/s of the disk itself,
	// fsync included, less than common cloud block volumes sustain; measure
	// yours and raise the grace period if it is slower (README, Grace period).
	DiskWriteMiBPerSecond = 50
	// GraceHeadroom is the factor by which terminationGracePeriodSeconds
	// must exceed the shutdown bound (preStop, drains, spills, exporters):
	// a grace period that just covers the bound leaves nothing for a slow
	// disk, a busy node or a later change to a timeout.
	GraceHeadroom = 1.25
	// GOMEMLIMIT must lie between these fractions of the memory limit.
	minGOMEMLIMITRatio, maxGOMEMLIMITRatio = 0.75, 0.90
)

// Subject is what the checks look at: the workload, its collector container,
// and the collector configuration mounted into it.
type Subject struct {
	// Workload is the Deployment or DaemonSet.
	Workload Workload
	// Container is the collector container.
	Container *corev1.Container
	// ConfigPath is the --config path inside the container.
	ConfigPath string
	// ConfigYAML is the collector configuration from the ConfigMap.
	ConfigYAML []byte
	// Config is ConfigYAML decoded.
	Config *CollectorConfig
}

// Resolve finds the single workload of the rendering, its collector
// container and the collector configuration (from the --config argument,
// through the volume mount, to the ConfigMap's key).
func Resolve(r *Rendered) (*Subject, error) {
	w, err := r.Workload()
	if err != nil {
		return nil, err
	}
	return resolveWorkload(r, w)
}

// ResolveAll resolves every workload of the rendering, in the order of
// Workloads.
func ResolveAll(r *Rendered) ([]*Subject, error) {
	ws := r.Workloads()
	if len(ws) == 0 {
		return nil, fmt.Errorf("want a Deployment, DaemonSet or StatefulSet, got none")
	}
	var out []*Subject
	for _, w := range ws {
		s, err := resolveWorkload(r, w)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// SubjectOf returns the subject of the workload of kind, or nil.
func SubjectOf(subjects []*Subject, kind string) *Subject {
	for _, s := range subjects {
		if s.Workload.Kind == kind {
			return s
		}
	}
	return nil
}

func resolveWorkload(r *Rendered, w Workload) (*Subject, error) {
	s := &Subject{Workload: w}
	for i := range w.Template.Spec.Containers {
		if w.Template.Spec.Containers[i].Name == ContainerName {
			s.Container = &w.Template.Spec.Containers[i]
		}
	}
	if s.Container == nil {
		return nil, fmt.Errorf("%s %s: container %q not found", w.Kind, w.Name, ContainerName)
	}
	for _, a := range append(append([]string{}, s.Container.Command...), s.Container.Args...) {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			s.ConfigPath = p
		}
	}
	if !path.IsAbs(s.ConfigPath) {
		return nil, fmt.Errorf("args must contain --config=<absolute path>, got %q", s.Container.Args)
	}
	if err := s.loadConfig(r); err != nil {
		return nil, err
	}
	return s, nil
}

// loadConfig reads the collector configuration from the ConfigMap mounted at
// ConfigPath.
func (s *Subject) loadConfig(r *Rendered) error {
	mount, ok := mountFor(s.Container, s.ConfigPath)
	if !ok {
		return fmt.Errorf("config %s is not on a volume mount", s.ConfigPath)
	}
	vol, ok := volume(s.Workload.Template, mount.Name)
	if !ok || vol.ConfigMap == nil {
		return fmt.Errorf("volume %q of the config must be a configMap", mount.Name)
	}
	key := strings.TrimPrefix(strings.TrimPrefix(s.ConfigPath, mount.MountPath), "/")
	for _, cm := range r.ConfigMaps {
		if cm.Name == vol.ConfigMap.Name {
			data, ok := cm.Data[key]
			if !ok {
				return fmt.Errorf("configmap %s has no key %q", cm.Name, key)
			}
			s.ConfigYAML = []byte(data)
		}
	}
	if s.ConfigYAML == nil {
		return fmt.Errorf("configmap %q of volume %q not rendered", vol.ConfigMap.Name, vol.Name)
	}
	var err error
	s.Config, err = ParseCollectorConfig(s.ConfigYAML)
	return err
}

// Check resolves every workload of the rendering and runs every check on
// each, then the checks across workloads (tiers). The error joins one line
// per violated invariant.
func Check(r *Rendered) error {
	subjects, err := ResolveAll(r)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range subjects {
		errs = append(errs, s.check(r, servicesOf(r, subjects, s))...)
	}
	errs = append(errs, checkTiers(r, subjects)...)
	errs = append(errs, checkScraping(r, subjects)...)
	return errors.Join(errs...)
}

func (s *Subject) check(r *Rendered, services []*corev1.Service) []error {
	var errs []error
	errs = append(errs, s.checkSecurity()...)
	errs = append(errs, s.checkProbes()...)
	errs = append(errs, s.checkShutdown()...)
	errs = append(errs, s.checkMemory()...)
	errs = append(errs, s.checkFilesink()...)
	errs = append(errs, s.checkPersistence(r)...)
	errs = append(errs, s.checkInitContainers()...)
	errs = append(errs, s.checkPorts(services)...)
	errs = append(errs, s.checkDisruption(r)...)
	errs = append(errs, s.checkExporterTargets(r)...)
	errs = append(errs, s.checkFilelog()...)
	errs = append(errs, s.Config.checkSyncExporters()...)
	errs = append(errs, CheckFeatureGates(slices.Concat(s.Container.Command, s.Container.Args))...)
	return errs
}

// CheckFeatureGates checks that args set no feature gate, neither enabling nor
// disabling one: deployments run the collector with its default gates, as the
// project tests it and as users run it. (Each resilientsink instance labels its
// own metrics with processor and signal; no gate is needed for that.)
func CheckFeatureGates(args []string) []error {
	for _, a := range args {
		if a == "--feature-gates" || strings.HasPrefix(a, "--feature-gates=") {
			return []error{fmt.Errorf("args must not set --feature-gates (the collector runs with its default gates, as tested), got %q", args)}
		}
	}
	return nil
}

// featureGates returns the gates enabled by --feature-gates arguments
// ("a,+b,-c" enables a and b).
func featureGates(args []string) []string {
	var out []string
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--feature-gates=")
		if !ok && a == "--feature-gates" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if !ok {
			continue
		}
		for _, g := range strings.Split(v, ",") {
			if !strings.HasPrefix(g, "-") {
				out = append(out, strings.TrimPrefix(g, "+"))
			}
		}
	}
	return out
}

// mountFor returns the container's volume mount holding file p: of nested
// mounts, the deepest (as the kernel resolves the path).
func mountFor(c *corev1.Container, p string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range c.VolumeMounts {
		dir := strings.TrimSuffix(m.MountPath, "/")
		if (p == m.MountPath || strings.HasPrefix(p, dir+"/")) && (!found || len(dir) > len(strings.TrimSuffix(best.MountPath, "/"))) {
			best, found = m, true
		}
	}
	return best, found
}

func volume(t *corev1.PodTemplateSpec, name string) (corev1.Volume, bool) {
	for _, v := range t.Spec.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return corev1.Volume{}, false
}
