// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package persistbench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/resilientsink/resilientsink/processor/resilientsink"
)

// recordsPerRequest is the payload of every ConsumeLogs call.
const recordsPerRequest = 10

// impl is one side of the comparison: a started consumer whose downstream
// counts the records it was handed.
type impl struct {
	name string
	// start builds and starts the consumer with its files in dir; stop
	// shuts it down.
	start func(tb testing.TB, dir string, delivered *atomic.Int64) (c consumer.Logs, stop func())
}

// impls are the variants set side by side (benchstat -col /impl).
func impls() []impl {
	return []impl{
		{"anchor-fsync", func(tb testing.TB, dir string, d *atomic.Int64) (consumer.Logs, func()) {
			return startAnchor(tb, dir, true, d)
		}},
		{"ours-wal-sync", func(tb testing.TB, dir string, d *atomic.Int64) (consumer.Logs, func()) {
			return startOurs(tb, dir, true, d)
		}},
		{"anchor-nofsync", func(tb testing.TB, dir string, d *atomic.Int64) (consumer.Logs, func()) {
			return startAnchor(tb, dir, false, d)
		}},
		{"ours-wal-nosync", func(tb testing.TB, dir string, d *atomic.Int64) (consumer.Logs, func()) {
			return startOurs(tb, dir, false, d)
		}},
	}
}

// extHost is a component.Host that serves the storage extension.
type extHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h extHost) GetExtensions() map[component.ID]component.Component { return h.exts }

// startAnchor is the collector's persistent queue: exporterhelper's logs
// exporter with sending_queue on contrib file_storage (defaults but fsync,
// and blocking when full as resilientsink's write_ahead does while the disk
// has room). ConsumeLogs returns once the request is written to bbolt
// (and, with fsync, synced); the queue's consumers hand it to a counter.
func startAnchor(tb testing.TB, dir string, fsync bool, delivered *atomic.Int64) (consumer.Logs, func()) {
	ctx := context.Background()
	sf := filestorage.NewFactory()
	scfg := sf.CreateDefaultConfig().(*filestorage.Config)
	scfg.Directory, scfg.Compaction.Directory, scfg.FSync = dir, dir, fsync
	storageID := component.NewID(sf.Type())
	ext, err := sf.Create(ctx, extensiontest.NewNopSettings(sf.Type()), scfg)
	require.NoError(tb, err)
	host := extHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{storageID: ext}}
	require.NoError(tb, ext.Start(ctx, host))

	q := exporterhelper.NewDefaultQueueConfig()
	q.StorageID = &storageID
	q.BlockOnOverflow = true
	typ := component.MustNewType("anchor")
	exp, err := exporterhelper.NewLogs(ctx, exportertest.NewNopSettings(typ), &struct{}{},
		func(_ context.Context, ld plog.Logs) error {
			delivered.Add(int64(ld.LogRecordCount()))
			return nil
		},
		exporterhelper.WithQueue(configoptional.Some(q)))
	require.NoError(tb, err)
	require.NoError(tb, exp.Start(ctx, host))
	return exp, func() {
		require.NoError(tb, exp.Shutdown(ctx))
		require.NoError(tb, ext.Shutdown(ctx))
	}
}

// startOurs is resilientsink with persistence write_ahead (defaults but the
// directory and sync) in front of a counter.
func startOurs(tb testing.TB, dir string, sync bool, delivered *atomic.Int64) (consumer.Logs, func()) {
	ctx := context.Background()
	f := resilientsink.NewFactory()
	cfg := f.CreateDefaultConfig().(*resilientsink.Config)
	cfg.Persistence.Directory = dir
	cfg.Persistence.Mode = resilientsink.PersistenceModeWriteAhead
	cfg.Persistence.Sync = sync
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		delivered.Add(int64(ld.LogRecordCount()))
		return nil
	})
	require.NoError(tb, err)
	p, err := f.CreateLogs(ctx, processortest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(ctx, componenttest.NewNopHost()))
	return p, func() {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(tb, p.Shutdown(sctx))
	}
}

// payload is one export request of recordsPerRequest log records, about
// 200 bytes each in OTLP protobuf, with a few attributes.
func payload() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "persistbench")
	rl.Resource().Attributes().PutStr("host.name", "node-1")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("persistbench")
	now := pcommon.NewTimestampFromTime(time.Unix(1_800_000_000, 0))
	for i := range recordsPerRequest {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Body().SetStr("GET /api/v1/orders/" + strconv.Itoa(100000+i) + " 200 in 12.5 ms, user agent curl/8.5.0, bytes 5123")
		lr.Attributes().PutStr("http.method", "GET")
		lr.Attributes().PutInt("http.status_code", 200)
		lr.Attributes().PutStr("trace.id", "5b8efff798038103d269b633813fc60c")
	}
	return ld
}
