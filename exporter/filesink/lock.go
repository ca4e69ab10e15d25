package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"errors"
	"fmt"
	"os"

	"github.com/gofrs/flock"
)

// errLocked is returned when another process holds the lock of the active file.
var errLocked = errors.New("locked by another process")

// lockSuffix names the lock file beside the active file. The lock is not on
// the active file itself, because rotation renames that: between the rename
// and the reopen, another process could create and lock a new file at the
// path while this one still believes it owns it.
const lockSuffix = ".lock"

// lockPath takes an exclusive, non-blocking advisory lock on path+".lock",
// creating it with mode if needed (flock(2) on unix, LockFileEx on Windows,
// through gofrs/flock). The lock file is never deleted: deleting it would let
// a process lock a new file of that name while another holds the old one.
// Closing the returned lock releases it; so does the end of the process.
func lockPath(path string, mode os.FileMode) (*flock.Flock, error) {
	lp := path + lockSuffix
	fl := flock.New(lp, flock.SetPermissions(mode))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", lp, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock %q: %w (another collector writes %q; give each process its own path)", lp, errLocked, path)
	}
	return fl, nil
}
