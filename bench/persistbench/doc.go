// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

// Package persistbench holds the in-process benchmark of issue 12's
// persistence bar: resilientsink's write_ahead persistence against the
// collector's own persistent sending_queue (exporterhelper on contrib
// file_storage), side by side, 1 to 16 concurrent producers. It is its own
// module so that contrib's storage dependencies (bbolt) stay out of the root
// go.mod. Run it with `make bench-persist`.
package persistbench
