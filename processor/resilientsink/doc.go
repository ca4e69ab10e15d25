// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package resilientsink decouples the receivers of a pipeline from its
// exporters: an asynchronous bounded queue with an estimated-heap memory budget,
// retry with backoff, a circuit breaker around the downstream consumer, configurable
// shutdown strategies, and telemetry that accounts for every item.
package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"
