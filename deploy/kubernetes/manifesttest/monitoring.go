// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodMonitor is the part of a Prometheus Operator monitoring.coreos.com/v1
// PodMonitor the component uses (decoded strictly: another field is an error,
// so a typo cannot pass unnoticed).
type PodMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// PrometheusRule is a monitoring.coreos.com/v1 PrometheusRule; its groups are
// checked against deploy/prometheus by deploy/monitoringtest.
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []any `json:"groups"`
	} `json:"spec"`
}
