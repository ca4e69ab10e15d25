// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
)

const (
	defaultOutput             = OutputStdout
	defaultFormat             = FormatText
	defaultVerbosity          = VerbosityNormal
	defaultColor              = ColorAuto
	defaultSamplingInitial    = 0
	defaultSamplingThereafter = 1
)

// NewFactory returns a factory for the consolesink exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	retry := configretry.NewDefaultBackOffConfig()
	retry.Enabled = false
	return &Config{
		Output:    defaultOutput,
		Format:    defaultFormat,
		Verbosity: defaultVerbosity,
		Color:     defaultColor,
		Sampling: SamplingConfig{
			Initial:    defaultSamplingInitial,
			Thereafter: defaultSamplingThereafter,
		},
		QueueConfig: configoptional.Default(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig: retry,
	}
}

// newFromSettings resolves the output stream and the color decision and
// builds the exporter for one signal (logs, traces or metrics). It starts
// nothing.
func newFromSettings(set exporter.Settings, cfg *Config, signal string) (*consoleExporter, error) {
	out := os.Stdout
	if cfg.Output == OutputStderr {
		out = os.Stderr
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	color := useColor(cfg.Color, isTerminal(out), os.Getenv("NO_COLOR"))
	e := newConsoleExporter(cfg, out, color, tel)
	e.logger = set.Logger
	e.attrs = instanceAttributes(set.ID, signal)
	return e, nil
}

// instanceAttributes tells this instance's series apart from every other's
// with the collector's default telemetry settings, which at v0.165.0 label
// component metrics with nothing (DESIGN.md): the exporter's component ID
// and the signal (the collector builds one instance per ID and signal).
// Built once, so measurements allocate nothing for them.
func instanceAttributes(id component.ID, signal string) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("exporter", id.String()),
		attribute.String("signal", signal),
	))}
}

// helperOptions are the exporterhelper options every signal shares.
func helperOptions(cfg *Config, e *consoleExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithQueue(cfg.QueueConfig),
		exporterhelper.WithRetry(cfg.RetryConfig),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdownFunc),
	}
}

func createTraces(ctx context.Context, set exporter.Settings, config component.Config) (exporter.Traces, error) {
	cfg := config.(*Config)
	e, err := newFromSettings(set, cfg, "traces")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, helperOptions(cfg, e)...)
}

func createMetrics(ctx context.Context, set exporter.Settings, config component.Config) (exporter.Metrics, error) {
	cfg := config.(*Config)
	e, err := newFromSettings(set, cfg, "metrics")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, helperOptions(cfg, e)...)
}

func createLogs(ctx context.Context, set exporter.Settings, config component.Config) (exporter.Logs, error) {
	cfg := config.(*Config)
	e, err := newFromSettings(set, cfg, "logs")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs, helperOptions(cfg, e)...)
}
