//go:build unix

package spool

import (
	"errors"
	"os"
	"syscall"
)

// flock takes an exclusive, non-blocking advisory lock on f. It reports a
// conflict as ErrLocked.
func flock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}
