// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"maps"
	"slices"
)

// sortedKeys returns the keys of m in order, for deterministic messages.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
