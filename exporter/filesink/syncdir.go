//go:build !windows

package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"fmt"
	"os"
)

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
