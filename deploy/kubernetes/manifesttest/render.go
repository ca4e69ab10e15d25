// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
	// DaemonSets holds the apps/v1 DaemonSets.
	DaemonSets []*appsv1.DaemonSet
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

// Workload is the pod-owning object of a rendering: a Deployment or a DaemonSet.
type Workload struct {
	// Kind is Deployment or DaemonSet.
	Kind string
	// Name is the object's name.
	Name string
	// Selector is the workload's label selector.
	Selector map[string]string
	// Template is the pod template, by pointer so that tests can mutate it.
	Template *corev1.PodTemplateSpec
}

// Workload returns the single Deployment or DaemonSet of the rendering.
func (r *Rendered) Workload() (Workload, error) {
	var ws []Workload
	for _, d := range r.Deployments {
		ws = append(ws, Workload{Kind: "Deployment", Name: d.Name, Selector: selector(d.Spec.Selector.MatchLabels), Template: &d.Spec.Template})
	}
	for _, d := range r.DaemonSets {
		ws = append(ws, Workload{Kind: "DaemonSet", Name: d.Name, Selector: selector(d.Spec.Selector.MatchLabels), Template: &d.Spec.Template})
	}
	if len(ws) != 1 {
		return Workload{}, fmt.Errorf("want exactly one Deployment or DaemonSet, got %d", len(ws))
	}
	return ws[0], nil
}

func selector(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
