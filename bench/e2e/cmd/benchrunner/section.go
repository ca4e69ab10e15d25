// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

const (
	startMarker = "<!-- bench-e2e:start -->"
	endMarker   = "<!-- bench-e2e:end -->"
)

// replaceSection puts body between the bench-e2e markers of doc, leaving the
// rest untouched. A document without the markers gets them appended; one
// with a start marker but no end marker after it is an error.
func replaceSection(doc, body string) (string, error) {
	return replaceBetween(doc, body, startMarker, endMarker)
}

// replaceBetween is replaceSection with the markers startMarker and
// endMarker of another section.
func replaceBetween(doc, body, startMarker, endMarker string) (string, error) {
	block := startMarker + "\n" + strings.TrimRight(body, "\n") + "\n" + endMarker
	i := strings.Index(doc, startMarker)
	if i < 0 {
		if strings.Contains(doc, endMarker) {
			return "", errors.New("end marker without start marker")
		}
		sep := ""
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			sep = "\n"
			if !strings.HasSuffix(doc, "\n") {
				sep = "\n\n"
			}
		}
		return doc + sep + block + "\n", nil
	}
	j := strings.Index(doc[i:], endMarker)
	if j < 0 {
		return "", errors.New("start marker without end marker")
	}
	return doc[:i] + block + doc[i+j+len(endMarker):], nil
}

// writeSection rewrites the bench-e2e section of the markdown file at path,
// creating the file with a heading if it does not exist.
func writeSection(path, body string) error {
	return writeBetween(path, body, startMarker, endMarker)
}

// writeBetween is writeSection for the section between startMarker and
// endMarker.
func writeBetween(path, body, startMarker, endMarker string) error {
	doc, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		doc = []byte("# Benchmarks\n")
	} else if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	out, err := replaceBetween(string(doc), body, startMarker, endMarker)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
