package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

const (
	defaultFormat            = FormatJSON
	defaultDurability        = DurabilityFlushed
	defaultFlushInterval     = time.Second
	defaultFileMode          = "0640"
	defaultMaxMegabytes      = 100
	defaultMaxBackups        = 10
	defaultMaxTotalMegabytes = 0
	defaultCompression       = CompressionGzip
)

// NewFactory returns the factory of the filesink exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	retry := configretry.NewDefaultBackOffConfig()
	retry.Enabled = false // resilientsink retries in front of this exporter
	return &Config{
		Format:        defaultFormat,
		Durability:    defaultDurability,
		FlushInterval: defaultFlushInterval,
		FileMode:      defaultFileMode,
		Rotation: configoptional.Default(RotationConfig{
			MaxMegabytes:      defaultMaxMegabytes,
			MaxBackups:        defaultMaxBackups,
			MaxTotalMegabytes: defaultMaxTotalMegabytes,
			Compression:       defaultCompression,
		}),
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Default(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   retry,
	}
}

func options(cfg *Config, e *fileExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.stop),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(cfg.TimeoutConfig),
		exporterhelper.WithRetry(cfg.RetryConfig),
		exporterhelper.WithQueue(cfg.QueueConfig),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Logs, error) {
	cfg := c.(*Config)
	e, err := newFileExporter(cfg, set, "logs")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs, options(cfg, e)...)
}

func createTraces(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Traces, error) {
	cfg := c.(*Config)
	e, err := newFileExporter(cfg, set, "traces")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, options(cfg, e)...)
}

func createMetrics(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Metrics, error) {
	cfg := c.(*Config)
	e, err := newFileExporter(cfg, set, "metrics")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, options(cfg, e)...)
}
