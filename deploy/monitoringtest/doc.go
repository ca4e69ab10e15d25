// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

// Package monitoringtest checks the operations pack of otelcol-resilient: the
// Grafana dashboard (deploy/grafana), the Prometheus alerting rules
// (deploy/prometheus) and the monitoring kustomize component
// (deploy/kubernetes/components/monitoring).
//
// Every PromQL expression is parsed with the Prometheus parser; every metric
// name is taken from a real /metrics scrape of the built distribution and
// mapped to a metadata.yaml entry; the rules are evaluated in-process by the
// Prometheus query engine, with the rule manager's pending and firing
// semantics (RuleEvaluator), on scrapes taken while a downstream is healthy
// and after it dies. The engine reads an in-memory store (MemStore) instead of
// tsdb, whose imports (remote-write auth for three clouds) would multiply the
// compile time of this module.
//
// It is its own Go module so that the Prometheus dependencies stay out of the
// root module's graph.
package monitoringtest // import "github.com/resilientsink/resilientsink/deploy/monitoringtest"
