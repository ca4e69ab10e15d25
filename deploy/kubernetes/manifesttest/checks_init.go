// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"regexp"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// initCapabilities are the capabilities an init container may add: what
// handing a hostPath folder to the collector's UID takes (chown, and walking
// folders of another owner), nothing more.
var initCapabilities = []corev1.Capability{"CHOWN", "DAC_READ_SEARCH"}

// pinnedImage matches an image reference pinned by digest (a tag may come
// before it, for readers).
var pinnedImage = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// checkInitContainers checks that init containers, the only ones that may run
// as root (to chown a hostPath folder kubelet created for root), stay
// confined: no privilege or escalation, a read-only root filesystem, every
// capability dropped but initCapabilities, seccomp RuntimeDefault, and an
// image pinned by digest.
func (s *Subject) checkInitContainers() []error {
	pod := s.Workload.Template.Spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	var errs []error
	for _, c := range s.Workload.Template.Spec.InitContainers {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if !pinnedImage.MatchString(c.Image) {
			errs = append(errs, fmt.Errorf("initContainers %s: image must be pinned by digest (name@sha256:...; it runs as root, and a tag can be moved), got %q", c.Name, c.Image))
		}
		key := fmt.Sprintf("initContainers %s: securityContext.", c.Name)
		if v := sc.Privileged; v != nil && *v {
			errs = append(errs, fmt.Errorf("%sprivileged must be false, got true", key))
		}
		if v := sc.AllowPrivilegeEscalation; v == nil || *v {
			errs = append(errs, fmt.Errorf("%sallowPrivilegeEscalation must be false, got %s", key, show(v)))
		}
		if v := sc.ReadOnlyRootFilesystem; v == nil || !*v {
			errs = append(errs, fmt.Errorf("%sreadOnlyRootFilesystem must be true, got %s", key, show(v)))
		}
		if caps := sc.Capabilities; caps == nil || !slices.Contains(caps.Drop, "ALL") ||
			slices.ContainsFunc(caps.Add, func(c corev1.Capability) bool { return !slices.Contains(initCapabilities, c) }) {
			errs = append(errs, fmt.Errorf("%scapabilities must drop ALL and add at most %v, got %s", key, initCapabilities, show(caps)))
		}
		if sp := pick(sc.SeccompProfile, pod.SeccompProfile); sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			errs = append(errs, fmt.Errorf("%sseccompProfile.type must be RuntimeDefault, got %s", key, show(sp)))
		}
	}
	return errs
}
