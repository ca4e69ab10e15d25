// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// otlpExporters are the exporter types whose endpoint the checks follow.
var otlpExporters = map[string]bool{"otlp": true, "otlp_grpc": true, "otlphttp": true, "otlp_http": true}

// target is where an OTLP exporter sends: its resolver scheme ("dns" for
// dns:///, "http"/"https", or "" for a plain host:port), host and port.
type target struct {
	scheme, host string
	port         int
}

// parseTarget reads an exporter endpoint: host:port, dns:///host:port,
// dns://authority/host:port or an http(s) URL.
func parseTarget(endpoint string) (target, error) {
	t := target{}
	hostport := endpoint
	switch {
	case strings.HasPrefix(endpoint, "dns:"):
		t.scheme = "dns"
		rest := strings.TrimPrefix(strings.TrimPrefix(endpoint, "dns:"), "//")
		_, hostport, _ = strings.Cut(rest, "/")
	case strings.HasPrefix(endpoint, "http://"), strings.HasPrefix(endpoint, "https://"):
		u, err := url.Parse(endpoint)
		if err != nil {
			return t, fmt.Errorf("endpoint %q: %w", endpoint, err)
		}
		t.scheme, hostport = u.Scheme, u.Host
		if u.Port() == "" {
			hostport = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return t, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	t.host = host
	if t.port, err = strconv.Atoi(port); err != nil {
		return t, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	return t, nil
}

// service returns the rendered Service the host names (name, name.namespace,
// name.namespace.svc...), or nil.
func (t target) service(r *Rendered) *corev1.Service {
	for _, svc := range r.Services {
		if t.host == svc.Name || strings.HasPrefix(t.host, svc.Name+".") {
			return svc
		}
	}
	return nil
}

// checkExporterTargets checks where the OTLP exporters of the pipelines
// send: never to the collector itself (its own receiver on loopback, or a
// Service that selects its own pods: an agent forwarding to itself loops),
// and to a Service of the rendering over gRPC only through its headless
// Service with dns:/// and round_robin, so that each agent spreads its
// requests over every gateway pod instead of pinning one.
func (s *Subject) checkExporterTargets(r *Rendered) []error {
	recv, err := s.Config.ReceiverEndpoints()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, id := range s.Config.usedExporters() {
		if !otlpExporters[componentType(id)] {
			continue
		}
		var cfg struct {
			Endpoint     string `json:"endpoint"`
			BalancerName string `json:"balancer_name"`
		}
		if err := decodeComponent(s.Config.Exporters[id], &cfg); err != nil {
			errs = append(errs, fmt.Errorf("exporter %s: %w", id, err))
			continue
		}
		if cfg.Endpoint == "" || strings.Contains(cfg.Endpoint, "${") {
			continue // from the environment: not known here
		}
		t, err := parseTarget(cfg.Endpoint)
		if err != nil {
			errs = append(errs, fmt.Errorf("exporter %s: %w", id, err))
			continue
		}
		if err := s.checkTarget(r, id, t, cfg.BalancerName, recv); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s *Subject) checkTarget(r *Rendered, id string, t target, balancer string, recv []Endpoint) error {
	w := s.Workload
	switch t.host {
	case "localhost", "127.0.0.1", "::1", "0.0.0.0", "":
		for _, ep := range recv {
			if ep.Port == t.port {
				return fmt.Errorf("exporter %s of %s %s must not send to its own receiver %s (a loop), got %s:%d", id, w.Kind, w.Name, ep.Name, t.host, t.port)
			}
		}
		return nil
	}
	svc := t.service(r)
	if svc == nil {
		return nil // outside the rendering (the backend)
	}
	if selects(svc.Spec.Selector, w.Template.Labels) {
		return fmt.Errorf("exporter %s of %s %s must not send to service %s, which selects its own pods (it could forward to itself, in a loop)", id, w.Kind, w.Name, svc.Name)
	}
	grpc := componentType(id) == "otlp" || componentType(id) == "otlp_grpc"
	if grpc && (svc.Spec.ClusterIP != corev1.ClusterIPNone || t.scheme != "dns" || balancer != "round_robin") {
		return fmt.Errorf("exporter %s of %s %s must reach service %s as a headless Service with dns:/// and balancer_name round_robin (one gRPC connection through a ClusterIP pins it to one pod), got clusterIP %q, endpoint scheme %q, balancer_name %q",
			id, w.Kind, w.Name, svc.Name, svc.Spec.ClusterIP, t.scheme, balancer)
	}
	return nil
}

// usedExporters lists the exporter IDs of the pipelines, sorted, each once.
func (c *CollectorConfig) usedExporters() []string {
	used := map[string]bool{}
	for _, p := range c.Service.Pipelines {
		for _, id := range p.Exporters {
			used[id] = true
		}
	}
	return sortedKeys(used)
}
