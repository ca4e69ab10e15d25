package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkpointVersion is the format of the checkpoint file.
const checkpointVersion = 1

// checkpoint is the progress of a replay, kept in one JSON file replaced
// atomically (write a temporary file, fsync, rename, fsync the folder).
type checkpoint struct {
	Version int    `json:"version"`
	Signal  string `json:"signal"`
	// Sources maps a source's absolute path to its progress.
	Sources map[string]*progress `json:"sources"`
}

// progress is where a source's replay stands.
type progress struct {
	// Segment and Offset: for a dead-letter folder, the spool position;
	// for a file, Offset is in the decompressed stream.
	Segment uint32 `json:"segment,omitempty"`
	Offset  int64  `json:"offset"`
	// Done: the source was fully replayed (and deleted, with on_done
	// delete, unless that failed).
	Done bool `json:"done,omitempty"`
}

// loadCheckpoint reads the file at path; a missing file is a fresh start.
func loadCheckpoint(path, signal string) (*checkpoint, error) {
	cp := &checkpoint{Version: checkpointVersion, Signal: signal, Sources: map[string]*progress{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	if err := json.Unmarshal(b, cp); err != nil {
		return nil, fmt.Errorf("checkpoint %q does not decode (delete it to replay everything again): %w", path, err)
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint %q has version %d, want %d", path, cp.Version, checkpointVersion)
	}
	if cp.Signal != signal {
		return nil, fmt.Errorf("checkpoint %q belongs to the %s replay, not %s: give each signal's replay receiver its own checkpoint", path, cp.Signal, signal)
	}
	if cp.Sources == nil {
		cp.Sources = map[string]*progress{}
	}
	return cp, nil
}

// save replaces the file at path with cp, durably.
func (cp *checkpoint) save(path string) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("write checkpoint %q: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
