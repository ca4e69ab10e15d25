package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

// observer records the telemetry of one exporter instance (one component ID
// and signal). Every measurement carries exporter and signal, so instances
// never share a series, even without the collector's
// telemetry.newPipelineTelemetry gate. A nil observer records nothing.
type observer struct {
	tb     *metadata.TelemetryBuilder
	add    []metric.AddOption    // the instance's attributes, built once
	record []metric.RecordOption // the same, for the histogram
}

func newObserver(tb *metadata.TelemetryBuilder, id component.ID, signal string) *observer {
	attrs := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("exporter", id.String()), attribute.String("signal", signal)))
	return &observer{tb: tb, add: []metric.AddOption{attrs}, record: []metric.RecordOption{attrs}}
}

func (o *observer) written(ctx context.Context, n int) {
	if o != nil {
		o.tb.ExporterFilesinkWrittenBytes.Add(ctx, int64(n), o.add...)
	}
}

func (o *observer) writeError(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkWriteErrors.Add(ctx, 1, o.add...)
	}
}

func (o *observer) rotated(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkRotations.Add(ctx, 1, o.add...)
	}
}

func (o *observer) fsyncDuration(ctx context.Context, d time.Duration) {
	if o != nil {
		o.tb.ExporterFilesinkFsyncDuration.Record(ctx, float64(d)/float64(time.Millisecond), o.record...)
	}
}

func (o *observer) corruptFile(ctx context.Context) {
	if o != nil {
		o.tb.ExporterFilesinkCorruptFiles.Add(ctx, 1, o.add...)
	}
}

// observerSet is the observers of the exporters sharing one writer. Work
// that no single exporter asked for (a failed background flush, a failed
// compression) is recorded on each of them. Safe for concurrent use.
type observerSet struct {
	mu   sync.Mutex
	list []*observer
}

func (s *observerSet) add(o *observer) {
	if o == nil {
		return
	}
	s.mu.Lock()
	s.list = append(s.list, o)
	s.mu.Unlock()
}

func (s *observerSet) remove(o *observer) {
	s.mu.Lock()
	if i := slices.Index(s.list, o); i >= 0 {
		s.list = slices.Delete(s.list, i, i+1)
	}
	s.mu.Unlock()
}

func (s *observerSet) writeError(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.list {
		o.writeError(ctx)
	}
}

// pendingBytes is a run of buffered records of one exporter: written bytes
// are counted for the exporter whose records they are, whoever flushes them.
type pendingBytes struct {
	obs *observer
	n   int
}
