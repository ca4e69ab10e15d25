// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadatatest"
)

// fixedNow is the clock of every test that does not script its own.
var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// testConfig returns the default config with format and verbosity set.
func testConfig(format Format, verbosity Verbosity) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Format = format
	cfg.Verbosity = verbosity
	return cfg
}

// newTestExporter builds an exporter writing to w with a fixed clock and
// telemetry recorded in tel (nil: nop telemetry).
func newTestExporter(t testing.TB, cfg *Config, w *bytes.Buffer, color bool, tel *componenttest.Telemetry) *consoleExporter {
	t.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	if tel != nil {
		set = metadatatest.NewSettings(tel)
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	e := newConsoleExporter(cfg, w, color, tb)
	e.now = func() time.Time { return fixedNow }
	return e
}
