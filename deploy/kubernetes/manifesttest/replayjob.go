// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// podNameLabel is the label a StatefulSet controller gives each pod: its name.
const podNameLabel = "statefulset.kubernetes.io/pod-name"

// replayReceiver is the part of a replay receiver's configuration the checks read.
type replayReceiver struct {
	Include    []string `json:"include"`
	Checkpoint string   `json:"checkpoint"`
}

// CheckReplayJob checks a Job that replays a gateway pod's dead letters
// (jobs/replay-dead-letters) against the rendering of that gateway (its
// StatefulSet; a two-tier rendering has an agent beside it): the Job mounts one pod's queue claim at the gateway's path and
// runs on that pod's node (the claim is ReadWriteOnce); every folder it
// replays is a dead-letter folder of the gateway's configuration, of the
// pipeline's signal; its checkpoints are on the claim, one per receiver; its
// resilientsink queues write_ahead with sync and never drops on overflow, in
// folders of its own; it sends with the gateway's exporters; and its container
// is as confined and sized as the gateway's. The error joins one line per
// violated invariant.
func CheckReplayJob(job, gateway *Rendered) error {
	subjects, err := ResolveAll(gateway)
	if err != nil {
		return err
	}
	gw := SubjectOf(subjects, "StatefulSet")
	if gw == nil {
		return fmt.Errorf("the gateway rendering must have a StatefulSet (a replay Job mounts one pod's claim), got none")
	}
	if len(job.Jobs) != 1 {
		return fmt.Errorf("want exactly one Job, got %d", len(job.Jobs))
	}
	j := job.Jobs[0]
	s, err := resolveWorkload(job, Workload{Kind: "Job", Name: j.Name, Template: &j.Spec.Template})
	if err != nil {
		return err
	}
	errs := slices.Concat(s.checkSecurity(), s.checkMemory(), s.Config.checkSyncExporters(), CheckFeatureGates(slices.Concat(s.Container.Command, s.Container.Args)))
	errs = append(errs, checkJobPods(j)...)
	claim, err := s.replayClaim(gw)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, s.checkReplaySources(gw, claim)...)
	errs = append(errs, s.checkReplayQueue(gw, claim)...)
	errs = append(errs, s.checkSameExporters(gw)...)
	return errors.Join(errs...)
}

// checkJobPods checks that the Job never runs two pods at once (both would
// take the same checkpoint and queue locks: the second fails) and restarts a
// failed collector.
func checkJobPods(j *batchv1.Job) []error {
	var errs []error
	if p := j.Spec.Parallelism; p != nil && *p != 1 {
		errs = append(errs, fmt.Errorf("job %s: parallelism must be 1 (one collector on the checkpoints), got %d", j.Name, *p))
	}
	if p := j.Spec.PodReplacementPolicy; p == nil || *p != batchv1.Failed {
		errs = append(errs, fmt.Errorf("job %s: podReplacementPolicy must be Failed (a replacement pod starts only once the old one is gone, and with it its locks), got %s", j.Name, show(p)))
	}
	if rp := j.Spec.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyOnFailure {
		errs = append(errs, fmt.Errorf("job %s: restartPolicy must be OnFailure (a crashed collector resumes from its checkpoints), got %q", j.Name, rp))
	}
	return errs
}

// jobClaim is the gateway pod's claim the Job mounts.
type jobClaim struct {
	mount corev1.VolumeMount // the Job container's mount of it
	pod   string             // the gateway pod it belongs to
}

// replayClaim finds the Job's volume that is a gateway pod's claim
// (<volumeClaimTemplate>-<StatefulSet>-<ordinal>), and checks that it is
// mounted writable at the gateway's path and that the Job runs beside that pod.
func (s *Subject) replayClaim(gw *Subject) (jobClaim, error) {
	st := gw.Workload.StatefulSet
	for _, v := range s.Workload.Template.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		for _, tpl := range st.Spec.VolumeClaimTemplates {
			ord, ok := strings.CutPrefix(v.PersistentVolumeClaim.ClaimName, tpl.Name+"-"+st.Name+"-")
			n, err := strconv.Atoi(ord)
			if !ok || err != nil || n < 0 || n >= int(gw.Workload.Replicas()) {
				continue
			}
			c := jobClaim{pod: st.Name + "-" + ord}
			i := slices.IndexFunc(s.Container.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == v.Name })
			j := slices.IndexFunc(gw.Container.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == tpl.Name && m.SubPath == "" })
			switch {
			case i < 0 || j < 0 || s.Container.VolumeMounts[i].MountPath != gw.Container.VolumeMounts[j].MountPath || s.Container.VolumeMounts[i].SubPath != "":
				return c, fmt.Errorf("volume %s (claim %s) must be mounted where the gateway mounts %s, so that the paths of both configurations agree", v.Name, v.PersistentVolumeClaim.ClaimName, tpl.Name)
			case s.Container.VolumeMounts[i].ReadOnly || v.PersistentVolumeClaim.ReadOnly:
				return c, fmt.Errorf("volume %s (claim %s) must be writable (checkpoints, the write-ahead queue), got readOnly", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
			c.mount = s.Container.VolumeMounts[i]
			return c, s.checkBeside(c.pod)
		}
	}
	return jobClaim{}, fmt.Errorf("volumes must include a claim of a gateway pod (<volumeClaimTemplate>-%s-<ordinal>, ordinal below %d), got none", st.Name, gw.Workload.Replicas())
}

// checkBeside checks that the pod has a required affinity to the gateway pod
// on the same node: a ReadWriteOnce claim is attached to one node.
func (s *Subject) checkBeside(pod string) error {
	if a := s.Workload.Template.Spec.Affinity; a != nil && a.PodAffinity != nil {
		for _, t := range a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			if t.TopologyKey == "kubernetes.io/hostname" && t.LabelSelector != nil && t.LabelSelector.MatchLabels[podNameLabel] == pod {
				return nil
			}
		}
	}
	return fmt.Errorf("affinity.podAffinity must require the node of %s (topologyKey kubernetes.io/hostname, %s: %s): its claim is attached there", pod, podNameLabel, pod)
}

// checkReplaySources checks each replay receiver: used in one pipeline, each
// include a dead-letter folder of the gateway for the pipeline's signal, on
// the claim, and a checkpoint of its own on the claim.
func (s *Subject) checkReplaySources(gw *Subject, c jobClaim) []error {
	gwInsts, err := gw.Config.Instances()
	if err != nil {
		return []error{err}
	}
	var errs []error
	uses := map[string][]string{}
	checkpoints := map[string][]string{}
	for _, pid := range sortedKeys(s.Config.Service.Pipelines) {
		for _, id := range s.Config.Service.Pipelines[pid].Receivers {
			if componentType(id) != "replay" {
				continue
			}
			uses[id] = append(uses[id], pid)
			if len(uses[id]) > 1 {
				continue // checked once; reported below
			}
			var rc replayReceiver
			if err := decodeComponent(s.Config.Receivers[id], &rc); err != nil {
				errs = append(errs, fmt.Errorf("receiver %s: %w", id, err))
				continue
			}
			checkpoints[rc.Checkpoint] = append(checkpoints[rc.Checkpoint], id)
			if !s.onMount(rc.Checkpoint, c.mount) {
				errs = append(errs, fmt.Errorf("receiver %s: checkpoint %s must be on the claim mounted at %s (a Job's next pod resumes from it), got another volume", id, rc.Checkpoint, c.mount.MountPath))
			}
			for _, inc := range rc.Include {
				i := slices.IndexFunc(gwInsts, func(in Instance) bool { return in.DeadLetterFolder() == inc })
				switch {
				case i < 0:
					errs = append(errs, fmt.Errorf("receiver %s: include %s must be a dead-letter folder of the gateway (dead_letter.directory/<processor id>-<signal>), got none of its instances' folders", id, inc))
				case gwInsts[i].Signal() != componentType(pid):
					errs = append(errs, fmt.Errorf("receiver %s: include %s holds %s, pipeline %s takes %s (letters of another signal are skipped)", id, inc, gwInsts[i].Signal(), pid, componentType(pid)))
				case !s.onMount(inc, c.mount):
					errs = append(errs, fmt.Errorf("receiver %s: include %s must be on the claim of %s mounted at %s, got another volume", id, inc, c.pod, c.mount.MountPath))
				}
			}
		}
	}
	for _, id := range sortedKeys(uses) {
		if len(uses[id]) > 1 {
			errs = append(errs, fmt.Errorf("receiver %s must be used in one pipeline (each pipeline's receiver takes the checkpoint's lock), got %v", id, uses[id]))
		}
	}
	for _, cp := range sortedKeys(checkpoints) {
		if ids := checkpoints[cp]; len(ids) > 1 {
			errs = append(errs, fmt.Errorf("checkpoint %s must belong to one replay receiver (it is locked), got %v", cp, ids))
		}
	}
	return errs
}

// onMount reports whether path p resolves to mount m in the Job's container.
func (s *Subject) onMount(p string, m corev1.VolumeMount) bool {
	got, ok := mountFor(s.Container, p)
	return ok && got.Name == m.Name && got.MountPath == m.MountPath
}

// checkReplayQueue checks the Job's resilientsink instances: write_ahead with
// sync on the claim (the receiver checkpoints a batch once it is accepted), no
// drop on overflow, and folders that none of the gateway's use.
func (s *Subject) checkReplayQueue(gw *Subject, c jobClaim) []error {
	insts, err := s.Config.Instances()
	if err != nil {
		return []error{err}
	}
	gwInsts, err := gw.Config.Instances()
	if err != nil {
		return []error{err}
	}
	taken := map[string]bool{}
	for _, in := range gwInsts {
		for _, u := range in.diskUses() {
			taken[u.folder] = true
		}
	}
	var errs []error
	seen := map[string]bool{}
	for _, in := range insts {
		if seen[in.ID] {
			continue
		}
		seen[in.ID] = true
		if in.PersistenceMode != "write_ahead" || !in.PersistenceSync || !s.onMount(in.PersistenceDirectory, c.mount) {
			errs = append(errs, fmt.Errorf("processor %s: persistence must be write_ahead with sync on the claim mounted at %s (the replay checkpoints a batch once it is accepted), got mode %s, sync %t, directory %q",
				in.ID, c.mount.MountPath, modeOrOff(in), in.PersistenceSync, in.PersistenceDirectory))
		}
		if in.Overflow != "block" && in.Overflow != "reject" {
			errs = append(errs, fmt.Errorf("processor %s: overflow must be block or reject (the replay waits; a drop policy drops under a fast replay), got %s", in.ID, in.Overflow))
		}
	}
	for _, in := range insts {
		for _, u := range in.diskUses() {
			if taken[u.folder] {
				errs = append(errs, fmt.Errorf("processor %s (pipeline %s): %s folder %s must not be one of the gateway's (both lock it), got the same", in.ID, in.Pipeline, u.key, u.folder))
			}
		}
	}
	return errs
}

// checkSameExporters checks that the Job's exporters are the gateway's, with
// the same configuration: the dead letters go where they were headed.
func (s *Subject) checkSameExporters(gw *Subject) []error {
	var errs []error
	for _, id := range sortedKeys(s.Config.Exporters) {
		want, ok := gw.Config.Exporters[id]
		if !ok {
			errs = append(errs, fmt.Errorf("exporter %s must be one of the gateway's exporters (the dead letters go where they were headed), got none of that id", id))
			continue
		}
		if !jsonEqual(want, s.Config.Exporters[id]) {
			errs = append(errs, fmt.Errorf("exporter %s must have the gateway's configuration, got %s, want %s", id, s.Config.Exporters[id], want))
		}
	}
	return errs
}

// jsonEqual reports whether two JSON documents hold the same values.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}
