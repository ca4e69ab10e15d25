// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"os"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

// This file is the only part of FuzzQueue that knows the processor's
// internals: the file-system seam (core.fs). Everything else goes through
// the public factory and the telemetry.

// fuzzNewInstance creates one life of the processor through the public
// factory, with its telemetry on tel, and returns it with its Start: the
// spools of that Start work on fsys.
func fuzzNewInstance(_ *testing.T, cfg *Config, next consumer.Logs, tel *componenttest.Telemetry, fsys spool.FS) (processor.Logs, func(context.Context) error, error) {
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	if os.Getenv("FUZZ_LOG") != "" {
		set.Logger = zap.NewExample()
	}
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	if err != nil {
		return nil, nil, err
	}
	p.(*logsProcessor).fs = fsys
	start := func(ctx context.Context) error {
		return p.Start(ctx, componenttest.NewNopHost())
	}
	return p, start, nil
}
