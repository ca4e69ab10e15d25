// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ScrapeAnnotation is the annotation that annotation-based Prometheus
// scrape configurations select pods by.
const ScrapeAnnotation = "prometheus.io/scrape"

// checkScraping checks that each workload's pods are scraped at most once:
// by one PodMonitor, or by the prometheus.io/scrape annotation, not both
// (every series would be stored twice, with different instance labels, and
// sums over them doubled).
func checkScraping(r *Rendered, subjects []*Subject) []error {
	var errs []error
	for _, s := range subjects {
		t := s.Workload.Template
		var by []string
		for _, pm := range r.PodMonitors {
			sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
			if err != nil {
				errs = append(errs, fmt.Errorf("podmonitor %s selector: %w", pm.Name, err))
				continue
			}
			if sel.Matches(labels.Set(t.Labels)) {
				by = append(by, "PodMonitor "+pm.Name)
			}
		}
		if t.Annotations[ScrapeAnnotation] == "true" {
			by = append(by, "annotation "+ScrapeAnnotation)
		}
		if len(by) > 1 {
			errs = append(errs, fmt.Errorf("%s %s pods must be scraped once (a PodMonitor or the %s annotation), got %d: %s",
				s.Workload.Kind, s.Workload.Name, ScrapeAnnotation, len(by), strings.Join(by, ", ")))
		}
	}
	return errs
}
