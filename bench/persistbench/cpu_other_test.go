// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package persistbench

import "time"

// processCPU is not measured here: cpu-ns/record reads 0.
func processCPU() time.Duration { return 0 }
