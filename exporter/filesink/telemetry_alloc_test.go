package filesink

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadatatest"
)

// TestMeasurementsDoNotAllocate: the instance attributes are built once, so
// recording a measurement allocates nothing.
func TestMeasurementsDoNotAllocate(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	tb, err := metadata.NewTelemetryBuilder(metadatatest.NewSettings(tel).TelemetrySettings)
	require.NoError(t, err)
	obs := newObserver(tb, component.NewIDWithName(metadata.Type, "a"), "logs")
	ctx := context.Background()
	obs.written(ctx, 1) // the first measurement creates the series
	obs.fsyncDuration(ctx, time.Millisecond)
	allocs := testing.AllocsPerRun(100, func() {
		obs.written(ctx, 100)
		obs.fsyncDuration(ctx, time.Millisecond)
	})
	assert.Zero(t, allocs)
}

// BenchmarkObserverWritten compares a measurement with the instance
// attributes against one without any (the telemetry before they were added).
func BenchmarkObserverWritten(b *testing.B) {
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	tb, err := metadata.NewTelemetryBuilder(metadatatest.NewSettings(tel).TelemetrySettings)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		obs  *observer
	}{
		{"attrs=none", &observer{tb: tb}},
		{"attrs=instance", newObserver(tb, component.NewIDWithName(metadata.Type, "a"), "logs")},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.obs.written(ctx, 100)
			}
		})
	}
}
