// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkTiers checks what the workloads of one rendering share (the two tiers
// of overlays/two-tier): every Service and PodDisruptionBudget selects the
// pods of one workload only, and no workload's selector matches another's
// pods. A Service that selected app.kubernetes.io/name only would send the
// agents' traffic to agents as well as gateways, an agent to itself included.
func checkTiers(r *Rendered, subjects []*Subject) []error {
	var errs []error
	for _, svc := range r.Services {
		owners := owning(subjects, func(l map[string]string) bool { return selects(svc.Spec.Selector, l) })
		switch {
		case len(owners) > 1:
			errs = append(errs, fmt.Errorf("service %s selector %v must select the pods of one tier, got %s (an agent could forward to another agent, or to itself)", svc.Name, svc.Spec.Selector, strings.Join(owners, " and ")))
		case len(owners) == 0 && len(subjects) > 1:
			errs = append(errs, fmt.Errorf("service %s selector must match the pod labels of one workload, got %v (selects none)", svc.Name, svc.Spec.Selector))
		}
	}
	for _, pdb := range r.PDBs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			errs = append(errs, fmt.Errorf("poddisruptionbudget %s selector: %w", pdb.Name, err))
			continue
		}
		owners := owning(subjects, func(l map[string]string) bool { return !sel.Empty() && sel.Matches(labels.Set(l)) })
		if len(owners) != 1 {
			errs = append(errs, fmt.Errorf("poddisruptionbudget %s selector %s must select the pods of one workload, got %d (%s)", pdb.Name, sel, len(owners), strings.Join(owners, ", ")))
		}
	}
	for _, a := range subjects {
		for _, b := range subjects {
			if a != b && subset(a.Workload.Selector, b.Workload.Template.Labels) {
				errs = append(errs, fmt.Errorf("%s %s selector %v must not match the pods of %s %s (two controllers would fight over them)", a.Workload.Kind, a.Workload.Name, a.Workload.Selector, b.Workload.Kind, b.Workload.Name))
			}
		}
	}
	return errs
}

// owning lists "Kind name" of the subjects whose pod labels match.
func owning(subjects []*Subject, match func(map[string]string) bool) []string {
	var out []string
	for _, s := range subjects {
		if match(s.Workload.Template.Labels) {
			out = append(out, s.Workload.Kind+" "+s.Workload.Name)
		}
	}
	return out
}

// checkDisruption checks that a workload of several replicas (the gateway)
// survives voluntary disruptions and the loss of a node: a
// PodDisruptionBudget that keeps a pod and still allows an eviction, and
// anti-affinity (or a topology spread) over nodes or zones.
func (s *Subject) checkDisruption(r *Rendered) []error {
	w := s.Workload
	n := w.Replicas()
	if w.DaemonSet != nil || n < 2 {
		return nil
	}
	var errs []error
	var pdbs []string
	for _, pdb := range r.PDBs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(w.Template.Labels)) {
			continue
		}
		pdbs = append(pdbs, pdb.Name)
		mu, ma := pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable
		switch {
		case mu != nil && mu.IntValue() > 0 && int32(mu.IntValue()) < n, mu != nil && strings.HasSuffix(mu.String(), "%"):
		case ma != nil && ma.IntValue() > 0 && int32(ma.IntValue()) < n, ma != nil && strings.HasSuffix(ma.String(), "%"):
		default:
			errs = append(errs, fmt.Errorf("poddisruptionbudget %s must keep a pod of %s %s and allow one eviction (maxUnavailable or minAvailable between 1 and %d), got maxUnavailable %s, minAvailable %s",
				pdb.Name, w.Kind, w.Name, n-1, intOrUnset(mu), intOrUnset(ma)))
		}
	}
	if len(pdbs) == 0 {
		errs = append(errs, fmt.Errorf("%s %s runs %d replicas and must have a PodDisruptionBudget selecting its pods (a node drain could evict them all at once), got none", w.Kind, w.Name, n))
	}
	if !spreads(w.Template) {
		errs = append(errs, fmt.Errorf("%s %s runs %d replicas and must spread them over nodes (podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname or a zone, selecting its own pods), got none", w.Kind, w.Name, n))
	}
	return errs
}

// spreads reports whether the pod template keeps its own pods apart by node
// or zone.
func spreads(t *corev1.PodTemplateSpec) bool {
	own := func(ls *metav1.LabelSelector, key string) bool {
		sel, err := metav1.LabelSelectorAsSelector(ls)
		return err == nil && !sel.Empty() && sel.Matches(labels.Set(t.Labels)) &&
			(key == corev1.LabelHostname || key == corev1.LabelTopologyZone)
	}
	if a := t.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, term := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			if own(term.LabelSelector, term.TopologyKey) {
				return true
			}
		}
		for _, wt := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if own(wt.PodAffinityTerm.LabelSelector, wt.PodAffinityTerm.TopologyKey) {
				return true
			}
		}
	}
	for _, c := range t.Spec.TopologySpreadConstraints {
		if own(c.LabelSelector, c.TopologyKey) {
			return true
		}
	}
	return false
}

func intOrUnset(v *intstr.IntOrString) string {
	if v == nil {
		return "unset"
	}
	return v.String()
}
