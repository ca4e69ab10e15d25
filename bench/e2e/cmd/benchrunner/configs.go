// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"fmt"
	"strings"
)

// build names one of the two distributions.
type build string

const (
	anchorBuild build = "anchor"
	oursBuild   build = "ours"
)

// variant is one pipeline on one build: the unit that is started, driven and
// measured.
type variant struct {
	key   string // unique, e.g. "anchor-file"
	cs    int    // case number (1..3, 5); 0 = reproduction only
	build build
	label string // pipeline as shown in the table
	// processors, exporters and extensions are YAML bodies (indented two
	// spaces) of their sections; {{out}} becomes the output file and {{dir}}
	// an empty directory of the run (persistence).
	processors string
	exporters  string
	extensions string
	procIDs    []string
	expIDs     []string
	extIDs     []string
	// output file written by the exporter, counted back after the run
	writesFile bool
	// the exporter reports otelcol_exporter_sent_log_records (exporterhelper)
	reportsSent bool
}

// throughputVariants are cases 1 to 3, in the order they run in a round: every
// anchor run is followed by ours (A B A B ...).
func throughputVariants() []variant {
	return []variant{
		{key: "anchor-nop", cs: 1, build: anchorBuild, label: "otlp → nop",
			exporters: "  nop:\n", expIDs: []string{"nop"}},
		{key: "ours-nop", cs: 1, build: oursBuild, label: "otlp → nop",
			exporters: "  nop:\n", expIDs: []string{"nop"}},
		{key: "anchor-file", cs: 2, build: anchorBuild, label: "otlp → fileexporter (json)",
			exporters: "  file:\n    path: {{out}}\n    format: json\n", expIDs: []string{"file"},
			writesFile: true, reportsSent: true},
		{key: "ours-filesink", cs: 2, build: oursBuild, label: "otlp → filesink (json, flushed)",
			exporters: "  filesink:\n    path: {{out}}\n    format: json\n    durability: flushed\n", expIDs: []string{"filesink"},
			writesFile: true, reportsSent: true},
		{key: "ours-rs-filesink", cs: 2, build: oursBuild, label: "otlp → resilientsink → filesink (json, flushed)",
			processors: "  resilientsink:\n",
			procIDs:    []string{"resilientsink"},
			exporters:  "  filesink:\n    path: {{out}}\n    format: json\n    durability: flushed\n", expIDs: []string{"filesink"},
			writesFile: true, reportsSent: true},
		{key: "anchor-debug", cs: 3, build: anchorBuild, label: "otlp → debug (normal, stdout → /dev/null)",
			exporters: "  debug:\n    verbosity: normal\n    use_internal_logger: false\n", expIDs: []string{"debug"},
			reportsSent: true},
		{key: "ours-console", cs: 3, build: oursBuild, label: "otlp → consolesink (text normal, stdout → /dev/null)",
			exporters: "  consolesink:\n    output: stdout\n    format: text\n    verbosity: normal\n    color: never\n", expIDs: []string{"consolesink"},
			reportsSent: true},
	}
}

// reproVariants are the anchor pipelines of the reference figures that the
// cases do not already run.
func reproVariants() []variant {
	return []variant{
		{key: "anchor-debug-basic", build: anchorBuild, label: "otlp → debug (basic)",
			exporters: "  debug:\n    verbosity: basic\n    use_internal_logger: false\n", expIDs: []string{"debug"}, reportsSent: true},
		{key: "anchor-debug-detailed", build: anchorBuild, label: "otlp → debug (detailed)",
			exporters: "  debug:\n    verbosity: detailed\n    use_internal_logger: false\n", expIDs: []string{"debug"}, reportsSent: true},
	}
}

// collectorConfig renders a full collector configuration: the OTLP gRPC
// receiver on grpcAddr, one logs pipeline, JSON logs (so the runner can read
// them; sampling stays at the collector's default) and Prometheus telemetry
// on promAddr.
func collectorConfig(grpcAddr, promAddr, processors, exporters string, procIDs, expIDs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: %s\n", grpcAddr)
	if processors != "" {
		b.WriteString("processors:\n" + processors)
	}
	b.WriteString("exporters:\n" + exporters)
	fmt.Fprintf(&b, `service:
  telemetry:
    logs:
      encoding: json
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %s
  pipelines:
    logs:
      receivers: [otlp]
      processors: [%s]
      exporters: [%s]
`, promAddr[strings.LastIndexByte(promAddr, ':')+1:], strings.Join(procIDs, ", "), strings.Join(expIDs, ", "))
	return b.String()
}
