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

func (o *observer) written(n int) {
	if o != nil {
		o.tb.ExporterFilesinkWrittenBytes.Add(context.Background(), int64(n))
	}
}

func (o *observer) writeError() {
	if o != nil {
		o.tb.ExporterFilesinkWriteErrors.Add(context.Background(), 1)
	}
}

func (o *observer) rotated() {
	if o != nil {
		o.tb.ExporterFilesinkRotations.Add(context.Background(), 1)
	}
}

func (o *observer) fsyncDuration(d time.Duration) {
	if o != nil {
		o.tb.ExporterFilesinkFsyncDuration.Record(context.Background(), float64(d)/float64(time.Millisecond))
	}
}
