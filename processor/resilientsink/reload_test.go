// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"errors"
	"io/fs"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// slowCloseFS is the real file system, except that once shut, closing a
// file waits until open is closed: a disk that takes longer than the
// shutdown deadline to let go of the queue's folder.
type slowCloseFS struct {
	spool.OSFS
	shut    atomic.Bool
	open    chan struct{}
	waiting atomic.Int64 // closes waiting for open
}

func (s *slowCloseFS) OpenFile(name string, flag int, perm fs.FileMode) (spool.File, error) {
	f, err := s.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &slowCloseFile{File: f, fs: s}, nil
}

type slowCloseFile struct {
	spool.File
	fs *slowCloseFS
}

func (f *slowCloseFile) Close() error {
	if f.fs.shut.Load() {
		f.fs.waiting.Add(1)
		<-f.fs.open
	}
	return f.File.Close()
}

// TestReloadWaitsForTheFolderOfTheOldInstance: Shutdown returns at its
// deadline while a slow disk still closes the queue's folder (its lock held);
// the next instance on that folder in this process (a reload) waits for the
// folder instead of failing Start with "folder in use", which would stop the
// collector. (TestPersistenceOrderAcrossRestarts failed that way now and
// then on a loaded machine.)
func TestReloadWaitsForTheFolderOfTheOldInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := persistConfig(t.TempDir(), PersistenceModeSpill)
		cfg.Persistence.Sync = false
		cfg.Shutdown.Timeout = 20 * time.Millisecond
		slow := &slowCloseFS{open: make(chan struct{})}
		down := consumertest.NewErr(errors.New("backend down"))
		tel := componenttest.NewTelemetry()
		old, start, err := fuzzNewInstance(t, cfg, down, tel, slow)
		require.NoError(t, err)
		require.NoError(t, start(t.Context()))
		for i := range 3 {
			require.NoError(t, old.ConsumeLogs(t.Context(), fuzzLogs(i, 1, 64)))
		}
		slow.shut.Store(true)
		require.NoError(t, old.Shutdown(t.Context()), "returns at its deadline, the folder still held")
		require.Positive(t, slow.waiting.Load(), "a close of the old instance still waits")
		slow.shut.Store(false) // the next instance's files close at once

		next, startNext, err := fuzzNewInstance(t, cfg, down, componenttest.NewTelemetry(), slow)
		require.NoError(t, err)
		started := make(chan error, 1)
		go func() { started <- startNext(t.Context()) }()
		synctest.Wait() // Start waits for the old instance's folder
		close(slow.open)
		require.NoError(t, <-started, "the reload's instance takes over the folder once it is free")
		require.NoError(t, next.Shutdown(t.Context()))
		require.NoError(t, tel.Shutdown(t.Context()))
	})
}
