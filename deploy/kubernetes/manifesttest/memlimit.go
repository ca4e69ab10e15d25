// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseGOMEMLIMIT parses a GOMEMLIMIT value as the Go runtime does: a
// non-negative integer of bytes with an optional unit suffix B, KiB, MiB, GiB
// or TiB. "off" (no limit) is an error here, since the checks need a limit.
func ParseGOMEMLIMIT(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, mult := s, int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got %q", s)
	}
	return n * mult, nil
}
