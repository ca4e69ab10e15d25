// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const (
	mib = 1 << 20
	// componentStatusGate switches health_check to component status, under
	// which a recoverable error can fail the liveness probe.
	componentStatusGate = "extension.healthcheck.useComponentStatus"
)

// checkSecurity checks the effective (container over pod) security context.
func (s *Subject) checkSecurity() []error {
	pod := s.Workload.Template.Spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	c := s.Container.SecurityContext
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	var errs []error
	if v := pick(c.RunAsNonRoot, pod.RunAsNonRoot); v == nil || !*v {
		errs = append(errs, fmt.Errorf("securityContext.runAsNonRoot must be true, got %s", show(v)))
	}
	if v := pick(c.RunAsUser, pod.RunAsUser); v == nil || *v != RunAsUser {
		errs = append(errs, fmt.Errorf("securityContext.runAsUser must be %d, got %s", RunAsUser, show(v)))
	}
	if v := c.ReadOnlyRootFilesystem; v == nil || !*v {
		errs = append(errs, fmt.Errorf("securityContext.readOnlyRootFilesystem must be true, got %s", show(v)))
	}
	if v := c.AllowPrivilegeEscalation; v == nil || *v {
		errs = append(errs, fmt.Errorf("securityContext.allowPrivilegeEscalation must be false, got %s", show(v)))
	}
	if v := c.Privileged; v != nil && *v {
		errs = append(errs, fmt.Errorf("securityContext.privileged must be false, got true"))
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") || len(c.Capabilities.Add) > 0 {
		errs = append(errs, fmt.Errorf("securityContext.capabilities must drop ALL and add none, got %s", show(c.Capabilities)))
	}
	sp := pick(c.SeccompProfile, pod.SeccompProfile)
	if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		errs = append(errs, fmt.Errorf("securityContext.seccompProfile.type must be RuntimeDefault, got %s", show(sp)))
	}
	return errs
}

// checkProbes checks that liveness and readiness probe the health_check
// extension, that liveness is the more tolerant one, and that health_check
// stays on the collector's running state (the v1 behaviour).
func (s *Subject) checkProbes() []error {
	ep, hcPath, ok, err := s.Config.HealthCheck()
	if err != nil {
		return []error{err}
	}
	if !ok {
		return []error{fmt.Errorf("service.extensions must enable health_check, got %v", s.Config.Service.Extensions)}
	}
	var errs []error
	if slices.Contains(featureGates(s.Container.Args), componentStatusGate) {
		errs = append(errs, fmt.Errorf("args must not enable %s (liveness would fail on a recoverable error), got %q", componentStatusGate, s.Container.Args))
	}
	probes := []struct {
		name     string
		p        *corev1.Probe
		required bool
	}{{"livenessProbe", s.Container.LivenessProbe, true}, {"readinessProbe", s.Container.ReadinessProbe, true}, {"startupProbe", s.Container.StartupProbe, false}}
	for _, pr := range probes {
		switch {
		case pr.p == nil && pr.required:
			errs = append(errs, fmt.Errorf("%s must be set, got none", pr.name))
		case pr.p == nil:
		case pr.p.HTTPGet == nil:
			errs = append(errs, fmt.Errorf("%s must be an httpGet on health_check, got %s", pr.name, show(&pr.p.ProbeHandler)))
		default:
			if port, ok := s.containerPort(pr.p.HTTPGet.Port.String()); !ok || port != ep.Port {
				errs = append(errs, fmt.Errorf("%s port must be the health_check port %d, got %s", pr.name, ep.Port, pr.p.HTTPGet.Port.String()))
			}
			if pr.p.HTTPGet.Path != hcPath {
				errs = append(errs, fmt.Errorf("%s path must be the health_check path %q, got %q", pr.name, hcPath, pr.p.HTTPGet.Path))
			}
		}
	}
	if l, r := s.Container.LivenessProbe, s.Container.ReadinessProbe; l != nil && r != nil && failWindow(l) <= failWindow(r) {
		errs = append(errs, fmt.Errorf("livenessProbe must tolerate failures longer than readinessProbe (%s), got %s", failWindow(r), failWindow(l)))
	}
	return errs
}

// failWindow is how long a probe fails before it acts, with the API defaults.
func failWindow(p *corev1.Probe) time.Duration {
	period, threshold := p.PeriodSeconds, p.FailureThreshold
	if period == 0 {
		period = 10
	}
	if threshold == 0 {
		threshold = 3
	}
	return time.Duration(period*threshold) * time.Second
}

// checkShutdown checks that every drain is bounded and that the grace period
// covers them all: the collector shuts components down one after another, so
// the resilientsink drains add up, and so do the spills after them (each
// spilling instance writes up to memory_limit_mib to disk once its drain ends).
func (s *Subject) checkShutdown() []error {
	insts, err := s.Config.Instances()
	if err != nil {
		return []error{err}
	}
	var errs []error
	var drain, spill time.Duration
	for _, in := range insts {
		if in.ShutdownStrategy != "graceful" {
			errs = append(errs, fmt.Errorf("processor %s (pipeline %s): shutdown.strategy must be graceful (a bounded drain), got %s", in.ID, in.Pipeline, in.ShutdownStrategy))
		}
		drain += in.ShutdownTimeout
		spill += in.SpillTime()
	}
	var preStop time.Duration
	if lc := s.Container.Lifecycle; lc != nil && lc.PreStop != nil {
		if lc.PreStop.Sleep == nil {
			errs = append(errs, fmt.Errorf("lifecycle.preStop must be a sleep (the image has no shell), got %s", show(lc.PreStop)))
		} else {
			preStop = time.Duration(lc.PreStop.Sleep.Seconds) * time.Second
		}
	}
	grace := 30 * time.Second
	if g := s.Workload.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	need := preStop + drain + spill + ExporterShutdownMargin
	if want := time.Duration(float64(need) * GraceHeadroom); grace < want {
		errs = append(errs, fmt.Errorf("terminationGracePeriodSeconds must be at least %s (%.2f x %s: preStop %s + drain %s + spill %s at %d MiB/s + exporters %s), got %s",
			want, GraceHeadroom, need, preStop, drain, spill, DiskWriteMiBPerSecond, ExporterShutdownMargin, grace))
	}
	return errs
}

// checkMemory checks the memory request, limit and GOMEMLIMIT against the sum
// of the resilientsink budgets (one per instance, that is per pipeline).
func (s *Subject) checkMemory() []error {
	insts, err := s.Config.Instances()
	if err != nil {
		return []error{err}
	}
	var errs []error
	var budget int64
	for _, in := range insts {
		if in.MemoryLimitMiB <= 0 {
			errs = append(errs, fmt.Errorf("processor %s (pipeline %s): memory_limit_mib must be greater than 0 to size the pod, got %d", in.ID, in.Pipeline, in.MemoryLimitMiB))
		}
		budget += int64(in.MemoryLimitMiB)
	}
	limit, request := s.Container.Resources.Limits.Memory(), s.Container.Resources.Requests.Memory()
	if want := (budget + OverheadMiB) * mib; limit.Value() < want {
		errs = append(errs, fmt.Errorf("resources.limits.memory must be at least %dMi (budgets %dMi + overhead %dMi), got %s", want/mib, budget, OverheadMiB, limit))
	}
	if request.Cmp(*limit) != 0 {
		errs = append(errs, fmt.Errorf("resources.requests.memory must equal the limit %s (an evicted pod loses its queue), got %s", limit, request))
	}
	return append(errs, s.checkGOMEMLIMIT(limit, budget)...)
}

func (s *Subject) checkGOMEMLIMIT(limit *resource.Quantity, budgetMiB int64) []error {
	i := slices.IndexFunc(s.Container.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" })
	if i < 0 {
		return []error{fmt.Errorf("env GOMEMLIMIT must be set, got none")}
	}
	e := s.Container.Env[i]
	if e.ValueFrom != nil {
		return []error{fmt.Errorf("env GOMEMLIMIT must be a literal below the limit (a resourceFieldRef yields the whole limit), got valueFrom")}
	}
	v, err := ParseGOMEMLIMIT(e.Value)
	if err != nil {
		return []error{fmt.Errorf("env %w", err)}
	}
	var errs []error
	if v >= limit.Value() {
		errs = append(errs, fmt.Errorf("env GOMEMLIMIT must be below the memory limit %s, got %s", limit, e.Value))
	}
	if floor := (budgetMiB + BaselineHeapMiB) * mib; v < floor {
		errs = append(errs, fmt.Errorf("env GOMEMLIMIT must be at least %dMiB (budgets %dMiB + baseline heap %dMiB), got %s", floor/mib, budgetMiB, BaselineHeapMiB, e.Value))
	}
	if r := float64(v) / float64(limit.Value()); limit.Value() > 0 && (r < minGOMEMLIMITRatio || r > maxGOMEMLIMITRatio) {
		errs = append(errs, fmt.Errorf("env GOMEMLIMIT must be %.0f%%-%.0f%% of the memory limit %s, got %s (%.0f%%)", minGOMEMLIMITRatio*100, maxGOMEMLIMITRatio*100, limit, e.Value, r*100))
	}
	return errs
}

// containerPort resolves a port name or number to the container's port number.
func (s *Subject) containerPort(nameOrNumber string) (int, bool) {
	for _, p := range s.Container.Ports {
		if p.Name == nameOrNumber || fmt.Sprint(p.ContainerPort) == nameOrNumber {
			return int(p.ContainerPort), true
		}
	}
	return 0, false
}

// pick returns the container-level value when set, else the pod-level one.
func pick[T any](container, pod *T) *T {
	if container != nil {
		return container
	}
	return pod
}

// show formats a possibly nil pointer for a message.
func show[T any](v *T) string {
	if v == nil {
		return "unset"
	}
	return fmt.Sprintf("%+v", *v)
}
