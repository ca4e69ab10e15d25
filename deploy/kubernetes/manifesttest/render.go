// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Rendered is the output of one kustomization, decoded into typed objects.
type Rendered struct {
	// ConfigMaps holds the core/v1 ConfigMaps.
	ConfigMaps []*corev1.ConfigMap
	// Services holds the core/v1 Services.
	Services []*corev1.Service
	// Deployments holds the apps/v1 Deployments.
	Deployments []*appsv1.Deployment
	// StatefulSets holds the apps/v1 StatefulSets.
	StatefulSets []*appsv1.StatefulSet
	// DaemonSets holds the apps/v1 DaemonSets.
	DaemonSets []*appsv1.DaemonSet
	// Jobs holds the batch/v1 Jobs (jobs/: one-off collectors, checked by
	// CheckReplayJob, not as workloads).
	Jobs []*batchv1.Job
	// PDBs holds the policy/v1 PodDisruptionBudgets.
	PDBs []*policyv1.PodDisruptionBudget
	// PodMonitors and PrometheusRules come from the optional monitoring
	// component (components/monitoring).
	PodMonitors     []*PodMonitor
	PrometheusRules []*PrometheusRule
}

// Render runs kustomize on the kustomization in dir (as `kubectl kustomize`
// does) and decodes every object strictly: an unknown field, a duplicate key or
// an object of another kind or API version is an error.
func Render(dir string) (*Rendered, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	r := &Rendered{}
	for _, res := range resMap.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", res.CurId(), err)
		}
		if err := r.add(res.GetApiVersion(), res.GetKind(), y); err != nil {
			return nil, fmt.Errorf("decode %s: %w", res.CurId(), err)
		}
	}
	return r, nil
}

func (r *Rendered) add(apiVersion, kind string, y []byte) error {
	switch apiVersion + " " + kind {
	case "v1 ConfigMap":
		return decodeInto(y, &r.ConfigMaps)
	case "v1 Service":
		return decodeInto(y, &r.Services)
	case "apps/v1 Deployment":
		return decodeInto(y, &r.Deployments)
	case "apps/v1 DaemonSet":
		return decodeInto(y, &r.DaemonSets)
	case "apps/v1 StatefulSet":
		return decodeInto(y, &r.StatefulSets)
	case "batch/v1 Job":
		return decodeInto(y, &r.Jobs)
	case "policy/v1 PodDisruptionBudget":
		return decodeInto(y, &r.PDBs)
	case "monitoring.coreos.com/v1 PodMonitor":
		return decodeInto(y, &r.PodMonitors)
	case "monitoring.coreos.com/v1 PrometheusRule":
		return decodeInto(y, &r.PrometheusRules)
	default:
		return fmt.Errorf("unexpected object %s %s", apiVersion, kind)
	}
}

// decodeInto decodes y strictly (unknown fields and duplicate keys fail) into
// a new T and appends it to list.
func decodeInto[T any](y []byte, list *[]*T) error {
	obj := new(T)
	if err := yaml.UnmarshalStrict(y, obj); err != nil {
		return err
	}
	*list = append(*list, obj)
	return nil
}

// Workload is the pod-owning object of a rendering: a Deployment, a
// DaemonSet or a StatefulSet. Its pointers point into the rendering, so that
// tests can mutate them.
type Workload struct {
	// Kind is Deployment, DaemonSet or StatefulSet.
	Kind string
	// Name is the object's name.
	Name string
	// Selector is the workload's label selector.
	Selector map[string]string
	// Template is the pod template.
	Template *corev1.PodTemplateSpec
	// Deployment, DaemonSet and StatefulSet: the one of Kind, the others nil.
	Deployment  *appsv1.Deployment
	DaemonSet   *appsv1.DaemonSet
	StatefulSet *appsv1.StatefulSet
}

// Workloads returns every Deployment, DaemonSet and StatefulSet of the
// rendering (a two-tier rendering has one of each tier).
func (r *Rendered) Workloads() []Workload {
	var ws []Workload
	for _, d := range r.Deployments {
		ws = append(ws, Workload{Kind: "Deployment", Name: d.Name, Selector: selector(d.Spec.Selector), Template: &d.Spec.Template, Deployment: d})
	}
	for _, d := range r.DaemonSets {
		ws = append(ws, Workload{Kind: "DaemonSet", Name: d.Name, Selector: selector(d.Spec.Selector), Template: &d.Spec.Template, DaemonSet: d})
	}
	for _, s := range r.StatefulSets {
		ws = append(ws, Workload{Kind: "StatefulSet", Name: s.Name, Selector: selector(s.Spec.Selector), Template: &s.Spec.Template, StatefulSet: s})
	}
	return ws
}

// Workload returns the single Deployment, DaemonSet or StatefulSet of the rendering.
func (r *Rendered) Workload() (Workload, error) {
	ws := r.Workloads()
	if len(ws) != 1 {
		return Workload{}, fmt.Errorf("want exactly one Deployment, DaemonSet or StatefulSet, got %d", len(ws))
	}
	return ws[0], nil
}

// Replicas returns the number of pods the workload runs (1 for a DaemonSet,
// per node).
func (w Workload) Replicas() int32 {
	var n *int32
	switch {
	case w.Deployment != nil:
		n = w.Deployment.Spec.Replicas
	case w.StatefulSet != nil:
		n = w.StatefulSet.Spec.Replicas
	}
	if n == nil {
		return 1
	}
	return *n
}

// ClaimTemplate returns the StatefulSet's volumeClaimTemplate called name.
func (w Workload) ClaimTemplate(name string) (*corev1.PersistentVolumeClaim, bool) {
	if w.StatefulSet == nil {
		return nil, false
	}
	for i := range w.StatefulSet.Spec.VolumeClaimTemplates {
		if c := &w.StatefulSet.Spec.VolumeClaimTemplates[i]; c.Name == name {
			return c, true
		}
	}
	return nil, false
}

func selector(s *metav1.LabelSelector) map[string]string {
	if s == nil || s.MatchLabels == nil {
		return map[string]string{}
	}
	return s.MatchLabels
}
