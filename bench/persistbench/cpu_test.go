// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package persistbench

import (
	"syscall"
	"time"
)

// processCPU is the user+system time of the whole process so far: producers,
// the queues' own goroutines and the kernel's share of their writes and
// fsyncs.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
