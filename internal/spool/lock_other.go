//go:build !unix

package spool

import "os"

// flock is a no-op where flock(2) does not exist: the folder is not
// protected against a second process there.
func flock(*os.File) error { return nil }
