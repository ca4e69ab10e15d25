package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// sourceKind says how a source is read.
type sourceKind int

const (
	// kindDeadLetters is a dead-letter folder (a spool folder).
	kindDeadLetters sourceKind = iota + 1
	// kindFile is a filesink file, plain or compressed.
	kindFile
)

// source is one folder or file to replay.
type source struct {
	path string // absolute
	kind sourceKind
}

// skipSuffixes are files next to filesink's that are not data: its lock,
// an unfinished compression, and the checkpoint's temporary file.
var skipSuffixes = []string{".lock", ".tmp"}

// discover expands the include patterns into sources, in pattern order and,
// within a pattern, in name order (filesink's backup names sort by time);
// each path once. The checkpoint file and filesink's side files are left
// out, as are files moved aside as corrupt.
func discover(include []string, checkpointPath string) ([]source, []error) {
	var out []source
	var errs []error
	seen := map[string]bool{}
	cp, _ := filepath.Abs(checkpointPath)
	for _, pattern := range include {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("include %q: %w", pattern, err))
			continue
		}
		slices.Sort(matches)
		for _, m := range matches {
			abs, err := filepath.Abs(m)
			if err != nil || seen[abs] || abs == cp || abs == cp+".tmp" || abs == cp+".lock" || sideFile(abs) {
				continue
			}
			seen[abs] = true
			fi, err := os.Stat(abs)
			if err != nil {
				errs = append(errs, fmt.Errorf("include %q: %w", m, err))
				continue
			}
			kind := kindFile
			if fi.IsDir() {
				kind = kindDeadLetters
			} else if !fi.Mode().IsRegular() {
				continue
			}
			out = append(out, source{path: abs, kind: kind})
		}
	}
	return out, errs
}

func sideFile(path string) bool {
	base := filepath.Base(path)
	for _, s := range skipSuffixes {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return strings.Contains(base, ".corrupt-")
}
