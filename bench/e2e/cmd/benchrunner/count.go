// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/collector/pdata/plog"
)

// fileCount is what counting an OTLP/JSON lines file back found.
type fileCount struct {
	records int64
	lines   int64
	bad     int64 // lines that do not decode as an OTLP logs request
	bytes   int64
}

// countJSONLines decodes every line of path with pdata's JSON unmarshaler and
// counts the log records. A missing file counts as empty.
func countJSONLines(path string) (fileCount, error) {
	var fc fileCount
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fc, nil
	}
	if err != nil {
		return fc, fmt.Errorf("open output: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var u plog.JSONUnmarshaler
	for {
		line, err := r.ReadBytes('\n')
		fc.bytes += int64(len(line))
		if t := bytes.TrimSpace(line); len(t) > 0 {
			fc.lines++
			ld, uerr := u.UnmarshalLogs(t)
			if uerr != nil {
				fc.bad++
			} else {
				fc.records += int64(ld.LogRecordCount())
			}
		}
		if errors.Is(err, io.EOF) {
			return fc, nil
		}
		if err != nil {
			return fc, fmt.Errorf("read output: %w", err)
		}
	}
}
