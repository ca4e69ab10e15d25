// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package consolesink provides an exporter that writes logs, traces and
// metrics to stdout or stderr as human text, one flat JSON object per record,
// logfmt, or OTLP/JSON. It writes directly to its output, independent of the
// collector's own logger and log level, with one write call per batch.
package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"
