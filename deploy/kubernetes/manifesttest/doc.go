// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

// Package manifesttest renders the kustomize manifests of otelcol-resilient
// (deploy/kubernetes) with the kustomize Go API, decodes every object strictly
// into the Kubernetes API types, and checks the invariants that keep the
// collector's queue safe on Kubernetes: probes that do not restart the pod on
// a recoverable error, a termination grace period above the drain and spill
// bound, a memory limit above the resilientsink budgets, a non-root read-only
// container, filesink output on a mounted volume, and resilientsink queues on
// disk (persistence) on a volume of their own that outlives the pod. It also
// checks the Dockerfile against the Makefile's build.
//
// It is its own Go module so that the kustomize and Kubernetes dependencies
// stay out of the root module's graph.
package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"
