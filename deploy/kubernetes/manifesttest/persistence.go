// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// diskDir is one folder below which instances keep a folder each: a
// persistence.directory or a dead_letter.directory.
type diskDir struct {
	key   string // the config key: persistence.directory or dead_letter.directory
	dir   string
	insts []Instance
}

// ids lists the processor IDs of the instances, each once, for messages.
func (d diskDir) ids() string {
	var ids []string
	for _, in := range d.insts {
		if !slices.Contains(ids, in.ID) {
			ids = append(ids, in.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// diskUse is what one instance keeps on disk under one config key.
type diskUse struct {
	key, dir, folder string
	mib              int
}

// diskUses lists the instance's folders on disk: its queue, its dead letters.
func (in Instance) diskUses() []diskUse {
	var out []diskUse
	if in.PersistenceDirectory != "" {
		out = append(out, diskUse{"persistence.directory", in.PersistenceDirectory, in.Folder(), in.PersistenceMaxMiB})
	}
	if in.DeadLetterDirectory != "" {
		out = append(out, diskUse{"dead_letter.directory", in.DeadLetterDirectory, in.DeadLetterFolder(), in.DeadLetterMaxMiB})
	}
	return out
}

// checkPersistence checks that every resilientsink folder on disk (the
// queues of persistence, the dead letters) is on a writable volume that
// outlives the pod (a volumeClaimTemplate of a StatefulSet, or a hostPath of a
// DaemonSet without surge), large enough for the disk budgets, and that no
// folder is used twice: each instance locks its own, and a second collector,
// instance or use of it fails Start.
func (s *Subject) checkPersistence(r *Rendered) []error {
	insts, err := s.Config.Instances()
	if err != nil {
		return []error{err}
	}
	var errs []error
	var dirs []*diskDir
	folders := map[string][]string{}
	claims := map[string]int64{} // claim template -> MiB of max_megabytes on it
	for _, in := range insts {
		for _, u := range in.diskUses() {
			folders[u.folder] = append(folders[u.folder], in.Pipeline+" ("+u.key+")")
			i := slices.IndexFunc(dirs, func(d *diskDir) bool { return d.key == u.key && d.dir == u.dir })
			if i < 0 {
				dirs = append(dirs, &diskDir{key: u.key, dir: u.dir})
				i = len(dirs) - 1
			}
			dirs[i].insts = append(dirs[i].insts, in)
		}
	}
	for _, f := range sortedKeys(folders) {
		if uses := folders[f]; len(uses) > 1 {
			slices.Sort(uses)
			errs = append(errs, fmt.Errorf("folder %s must belong to one instance and one use (each locks its own; give each pipeline its own processor id, and dead_letter.directory a path of its own), got %s", f, strings.Join(uses, ", ")))
		}
	}
	for _, d := range dirs {
		name, err := s.checkDiskDir(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if name == "" {
			continue
		}
		for _, in := range d.insts {
			for _, u := range in.diskUses() {
				if u.key == d.key {
					claims[name] += int64(u.mib)
				}
			}
		}
	}
	for _, name := range sortedKeys(claims) {
		c, _ := s.Workload.ClaimTemplate(name)
		got := c.Spec.Resources.Requests[corev1.ResourceStorage]
		if want := resource.NewQuantity(claims[name]*mib, resource.BinarySI); got.Cmp(*want) < 0 {
			errs = append(errs, fmt.Errorf("volumeClaimTemplate %s storage request must be at least %dMi (the persistence.max_megabytes and dead_letter.max_megabytes of its instances), got %s", name, claims[name], got.String()))
		}
	}
	return append(errs, s.checkGoverningService(r)...)
}

// checkDiskDir checks the volume under one directory and returns the name of
// its volumeClaimTemplate, if it is on one.
func (s *Subject) checkDiskDir(d *diskDir) (string, error) {
	key := fmt.Sprintf("%s %s of %s", d.key, d.dir, d.ids())
	if !path.IsAbs(d.dir) {
		return "", fmt.Errorf("%s must be absolute (the working directory is on the read-only root filesystem), got %q", key, d.dir)
	}
	m, ok := mountFor(s.Container, path.Join(d.dir, "instance"))
	if !ok {
		return "", fmt.Errorf("%s must be on a volume mount (the root filesystem is read-only), got none", key)
	}
	if m.ReadOnly {
		return "", fmt.Errorf("%s: mount %s must be writable, got readOnly", key, m.MountPath)
	}
	w := s.Workload
	if _, ok := w.ClaimTemplate(m.Name); ok {
		return m.Name, nil
	}
	v, _ := volume(w.Template, m.Name)
	const survive = "must be on a volume that outlives the pod (a volumeClaimTemplate of a StatefulSet, a hostPath of a DaemonSet)"
	switch {
	case v.HostPath != nil && w.DaemonSet != nil:
		if ru := w.DaemonSet.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxSurge != nil && ru.MaxSurge.String() != "0" && ru.MaxSurge.String() != "0%" {
			return "", fmt.Errorf("updateStrategy.rollingUpdate.maxSurge must be 0 with %s on hostPath %s (a surge agent finds the folders locked and never becomes ready), got %s", key, v.HostPath.Path, ru.MaxSurge.String())
		}
		return "", nil
	case v.HostPath != nil:
		return "", fmt.Errorf("%s must be on a hostPath only in a DaemonSet (a replacement %s pod may run on another node and never replay it), got hostPath %s", key, w.Kind, v.HostPath.Path)
	case v.PersistentVolumeClaim != nil && singlePod(w):
		return "", nil
	case v.PersistentVolumeClaim != nil:
		return "", fmt.Errorf("%s must be on a claim of its own per pod (a volumeClaimTemplate of a StatefulSet; two collectors on one folder: the second fails Start), got claim %s shared by the %s's pods", key, v.PersistentVolumeClaim.ClaimName, w.Kind)
	case v.EmptyDir != nil:
		return "", fmt.Errorf("%s %s, got emptyDir %s (deleted with the pod; it survives container restarts only)", key, survive, m.Name)
	case v.Ephemeral != nil:
		return "", fmt.Errorf("%s %s, got ephemeral volume %s (its claim is deleted with the pod)", key, survive, m.Name)
	default:
		return "", fmt.Errorf("%s %s, got volume %s %s", key, survive, m.Name, show(&v.VolumeSource))
	}
}

// singlePod reports whether the workload never runs two pods at once: a
// Deployment of one replica with the Recreate strategy (a rolling update may
// start the new pod while the old one still drains).
func singlePod(w Workload) bool {
	d := w.Deployment
	return d != nil && (d.Spec.Replicas == nil || *d.Spec.Replicas == 1) && d.Spec.Strategy.Type == "Recreate"
}

// checkGoverningService checks that a StatefulSet names a headless Service of
// the rendering as its serviceName (older Kubernetes versions require one; it
// gives each pod its DNS name).
func (s *Subject) checkGoverningService(r *Rendered) []error {
	st := s.Workload.StatefulSet
	if st == nil {
		return nil
	}
	for _, svc := range r.Services {
		if svc.Name == st.Spec.ServiceName && svc.Spec.ClusterIP == corev1.ClusterIPNone {
			return nil
		}
	}
	return []error{fmt.Errorf("statefulset %s serviceName must name a headless Service (clusterIP None) of the rendering, got %q", st.Name, st.Spec.ServiceName)}
}
