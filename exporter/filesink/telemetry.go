package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"time"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

// observer records the exporter's own telemetry. A nil observer records nothing.
type observer struct {
	tb *metadata.TelemetryBuilder
}

func (o *observer) written(ctx context.Context, n int) {
	if o != nil {
		o.tb.ExporterFilesinkWrittenBytes.Add(ctx, int64(n))
	}
}

func (o *observer) writeError(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkWriteErrors.Add(ctx, 1)
	}
}

func (o *observer) rotated(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkRotations.Add(ctx, 1)
	}
}

func (o *observer) fsyncDuration(ctx context.Context, d time.Duration) {
	if o != nil {
		o.tb.ExporterFilesinkFsyncDuration.Record(ctx, float64(d)/float64(time.Millisecond))
	}
}

func (o *observer) corruptFile(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkCorruptFiles.Add(ctx, 1)
	}
}
