// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"os"

	"golang.org/x/term"
)

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

// isTerminal reports whether f is a terminal. It asks the terminal driver
// (x/term), so pipes, files and character devices that are not terminals,
// such as /dev/null, are not.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}
