// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import "os"

// useColor decides whether the text format colors its output. always and
// never are unconditional; auto colors only on a terminal and only when
// NO_COLOR (https://no-color.org) is unset or empty.
func useColor(mode ColorMode, isTerminal bool, noColor string) bool {
	switch mode {
	case ColorAlways:
		return true
	case ColorAuto:
		return isTerminal && noColor == ""
	default:
		return false
	}
}

// isTerminal reports whether f is a character device (a terminal). Pipes,
// files and /dev/null-like redirections to files are not; /dev/null itself
// is a character device, which only matters for color: auto.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
