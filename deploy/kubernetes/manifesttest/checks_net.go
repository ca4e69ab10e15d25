// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// checkFilesink checks that every filesink writes to a writable volume that
// can hold its rotated files.
func (s *Subject) checkFilesink() []error {
	sinks, err := s.Config.Filesinks()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, fs := range sinks {
		if !path.IsAbs(fs.Path) {
			errs = append(errs, fmt.Errorf("exporter %s: path must be absolute, got %q", fs.ID, fs.Path))
			continue
		}
		m, ok := mountFor(s.Container, fs.Dir()+"/")
		if !ok {
			errs = append(errs, fmt.Errorf("exporter %s: path %s must be on a volume mount (the root filesystem is read-only), got none", fs.ID, fs.Path))
			continue
		}
		if m.ReadOnly {
			errs = append(errs, fmt.Errorf("exporter %s: mount %s must be writable, got readOnly", fs.ID, m.MountPath))
		}
		v, _ := volume(s.Workload.Template, m.Name)
		switch {
		case v.EmptyDir != nil:
			if lim := v.EmptyDir.SizeLimit; lim != nil && fs.BoundMiB < 0 {
				errs = append(errs, fmt.Errorf("exporter %s: rotation must bound the files on emptyDir %s with sizeLimit %s, got unbounded", fs.ID, v.Name, lim))
			} else if lim != nil && lim.Cmp(*resource.NewQuantity(fs.BoundMiB*mib, resource.BinarySI)) < 0 {
				errs = append(errs, fmt.Errorf("exporter %s: emptyDir %s sizeLimit must be at least %dMi (%d files with rotation), got %s", fs.ID, v.Name, fs.BoundMiB, fs.Files, lim))
			}
		case v.HostPath != nil, v.PersistentVolumeClaim != nil, v.Ephemeral != nil:
		default:
			errs = append(errs, fmt.Errorf("exporter %s: volume %s must be an emptyDir, hostPath or persistent volume, got %s", fs.ID, m.Name, show(&v.VolumeSource)))
		}
	}
	return errs
}

// checkPorts checks that every endpoint the collector listens on is reachable
// from outside the pod and declared as a container port, and that the
// workload's Services select the pods and target declared ports covering the
// receivers.
func (s *Subject) checkPorts(services []*corev1.Service) []error {
	recv, err := s.Config.ReceiverEndpoints()
	if err != nil {
		return []error{err}
	}
	eps := append([]Endpoint{}, recv...)
	if hc, _, ok, _ := s.Config.HealthCheck(); ok {
		eps = append(eps, hc)
	}
	if tel, ok := s.Config.TelemetryEndpoint(); ok {
		eps = append(eps, tel)
	}
	var errs []error
	for _, ep := range eps {
		if ep.Host != "0.0.0.0" && ep.Host != "" && ep.Host != "::" {
			errs = append(errs, fmt.Errorf("%s host must be 0.0.0.0 (reachable on the pod IP), got %q", ep.Name, ep.Host))
		}
		if _, ok := s.containerPort(fmt.Sprint(ep.Port)); !ok {
			errs = append(errs, fmt.Errorf("%s port %d must be a container port, got %v", ep.Name, ep.Port, portNumbers(s.Container.Ports)))
		}
	}
	labels := s.Workload.Template.Labels
	if !subset(s.Workload.Selector, labels) || len(s.Workload.Selector) == 0 {
		errs = append(errs, fmt.Errorf("%s selector must match the pod labels %v, got %v", s.Workload.Kind, labels, s.Workload.Selector))
	}
	if len(services) == 0 {
		return append(errs, fmt.Errorf("%s %s: a Service must expose the receivers, got none", s.Workload.Kind, s.Workload.Name))
	}
	for _, svc := range services {
		if !subset(svc.Spec.Selector, labels) || len(svc.Spec.Selector) == 0 {
			errs = append(errs, fmt.Errorf("service %s selector must match the pod labels %v, got %v", svc.Name, labels, svc.Spec.Selector))
		}
		targets := map[int]bool{}
		for _, p := range svc.Spec.Ports {
			n, ok := s.containerPort(p.TargetPort.String())
			if !ok {
				errs = append(errs, fmt.Errorf("service %s port %s targetPort must be a container port, got %s", svc.Name, p.Name, p.TargetPort.String()))
			}
			targets[n] = true
		}
		for _, ep := range recv {
			if !targets[ep.Port] {
				errs = append(errs, fmt.Errorf("service %s must expose %s port %d, got targets %v", svc.Name, ep.Name, ep.Port, sortedInts(targets)))
			}
		}
	}
	return errs
}

// servicesOf returns the Services that belong to the subject: all of them when
// the rendering has one workload, else those that select its pods (checkTiers
// reports a Service that selects no workload's pods, or several).
func servicesOf(r *Rendered, subjects []*Subject, s *Subject) []*corev1.Service {
	if len(subjects) == 1 {
		return r.Services
	}
	var out []*corev1.Service
	for _, svc := range r.Services {
		if selects(svc.Spec.Selector, s.Workload.Template.Labels) {
			out = append(out, svc)
		}
	}
	return out
}

// selects reports whether a non-empty equality selector matches labels (an
// empty Service selector selects no pods).
func selects(sel, labels map[string]string) bool {
	return len(sel) > 0 && subset(sel, labels)
}

func portNumbers(ps []corev1.ContainerPort) []int32 {
	out := make([]int32, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ContainerPort)
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func sortedInts(m map[int]bool) []int {
	var out []int
	for k := range m {
		if k != 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
