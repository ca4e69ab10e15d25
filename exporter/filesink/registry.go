package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
)

// registry holds one writer per absolute path for the whole process, so
// several exporter IDs, signals or pipelines naming one file share a writer
// (and its lock) instead of fighting over the file.
var registry = writerRegistry{writers: map[string]*sharedWriter{}}

type writerRegistry struct {
	mu      sync.Mutex
	writers map[string]*sharedWriter
}

type sharedWriter struct {
	w    *writer
	refs int
}

// acquire returns the writer of set.path, opening it on first use. Every
// successful acquire must be paired with one release.
func (r *writerRegistry) acquire(set writerSettings, fs fileSystem, logger *zap.Logger, obs *observer) (*writer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.writers[set.path]; ok {
		if !s.w.set.sameAs(set) {
			return nil, fmt.Errorf("%q is already written by another filesink exporter of this collector with different format, durability, flush_interval, file_mode or rotation; exporters sharing a file must agree on them", set.path)
		}
		s.refs++
		s.w.sharers.add(obs)
		return s.w, nil
	}
	w, err := openWriter(set, fs, logger, obs)
	if err != nil {
		return nil, err
	}
	r.writers[set.path] = &sharedWriter{w: w, refs: 1}
	return w, nil
}

// release drops one reference to w (of the exporter whose telemetry is obs)
// and closes it with the last one. The
// close runs under the registry lock, so a Start racing with it reopens the
// file only after the lock on it is released.
func (r *writerRegistry) release(ctx context.Context, w *writer, obs *observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.writers[w.set.path]
	if !ok || s.w != w {
		return nil
	}
	s.refs--
	if s.refs > 0 {
		w.sharers.remove(obs)
		return nil
	}
	delete(r.writers, w.set.path)
	return w.close(ctx, obs)
}
