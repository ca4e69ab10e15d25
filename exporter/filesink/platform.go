//go:build !windows

package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"fmt"
	"os"
)

// osOpenFile opens the active file with os.OpenFile.
func osOpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// syncDir fsyncs a folder, making the names created or renamed in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync folder %q: %w", dir, err)
	}
	return nil
}
