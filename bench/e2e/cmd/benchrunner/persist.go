// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"fmt"
	"strings"
)

// barPersistCPURatio is issue 12's end-to-end bar: resilientsink write_ahead
// with sync at most this times the anchor's collector CPU per record, the
// anchor being the persistent sending_queue on file_storage with fsync on.
const barPersistCPURatio = 0.5

// rsSpilled counts the items resilientsink wrote to disk; under write_ahead
// every accepted item.
const rsSpilled = rsPrefix + "spilled_items"

// persistDownstream is the exporter both builds deliver to in case 5: debug,
// basic verbosity (one short line per batch), stdout → /dev/null. The anchor's
// exporter carries the persistent queue; ours has none (resilientsink queues).
const persistDownstream = "  debug:\n    verbosity: basic\n    use_internal_logger: false\n"

// anchorPersistVariant is otlp → debug with exporterhelper's persistent
// sending_queue on contrib file_storage in {{dir}}. It blocks when full (as
// resilientsink's write_ahead refuses nothing while the disk has room) and
// holds up to 10,000 requests, so the receiver refuses nothing at this load.
func anchorPersistVariant(key, label string, fsync bool) variant {
	return variant{key: key, cs: 5, build: anchorBuild, label: label,
		extensions: fmt.Sprintf("  file_storage:\n    directory: {{dir}}\n    fsync: %t\n", fsync),
		extIDs:     []string{"file_storage"},
		exporters: persistDownstream + "    sending_queue:\n      storage: file_storage\n" +
			"      queue_size: 10000\n      block_on_overflow: true\n",
		expIDs: []string{"debug"}, reportsSent: true}
}

// oursPersistVariant is otlp → resilientsink (persistence in {{dir}}) →
// debug with no queue of its own.
func oursPersistVariant(key, label, mode string) variant {
	return variant{key: key, cs: 5, build: oursBuild, label: label,
		processors: "  resilientsink:\n    persistence:\n      directory: {{dir}}\n      mode: " + mode + "\n      sync: true\n",
		procIDs:    []string{"resilientsink"},
		exporters:  persistDownstream + "    sending_queue:\n      enabled: false\n",
		expIDs:     []string{"debug"}, reportsSent: true}
}

// persistVariants are case 5, persistence, in the order they run in a round
// (A B A B ...). They run under the unlimited load only: records/s is half
// of what they compare.
func persistVariants() []variant {
	return []variant{
		anchorPersistVariant("anchor-pq-fsync", "otlp → debug, persistent sending_queue (file_storage, fsync: true)", true),
		oursPersistVariant("ours-wal-sync", "otlp → resilientsink (persistence write_ahead, sync) → debug", "write_ahead"),
		anchorPersistVariant("anchor-pq-nofsync", "otlp → debug, persistent sending_queue (file_storage, fsync: false)", false),
		oursPersistVariant("ours-spill", "otlp → resilientsink (persistence spill, sync) → debug", "spill"),
	}
}

// withExtensions adds an extensions section and the service's extensions
// list to a configuration rendered by collectorConfig.
func withExtensions(cfg, extensions string, extIDs []string) string {
	if extensions == "" {
		return cfg
	}
	cfg = strings.Replace(cfg, "\nservice:\n", "\nextensions:\n"+extensions+"service:\n", 1)
	return strings.Replace(cfg, "\nservice:\n", "\nservice:\n  extensions: ["+strings.Join(extIDs, ", ")+"]\n", 1)
}

// persistBars judges case 5 against issue 12's bar.
func (rep *report) persistBars(b *strings.Builder) {
	for _, s := range rep.sets {
		a, o := s.cpu("anchor-pq-fsync"), s.cpu("ours-wal-sync")
		if a.n == 0 || o.n == 0 {
			continue
		}
		am, om := s.marginal("anchor-pq-fsync"), s.marginal("ours-wal-sync")
		rate := func(k string) summary {
			return summarize(pluck(s.runs[k], func(r runResult) float64 { return r.recPerSec }))
		}
		counted := allCounted(s.runs["anchor-pq-fsync"]) && allCounted(s.runs["ours-wal-sync"])
		onDisk := allOnDisk(s.runs["ours-wal-sync"])
		b.WriteString("### Bar, case 5 (persistence)\n\n")
		b.WriteString("| load | bar | measured | verdict |\n|---|---|---|---|\n")
		v := verdict(o.median/a.median <= barPersistCPURatio && counted)
		if !onDisk {
			v = "**not measured**: resilientsink did not write every accepted record to disk (spilled_items ≠ accepted)"
		}
		fmt.Fprintf(b, "| %s | resilientsink write_ahead + sync: collector CPU per record ≤ %.2f× the persistent sending_queue's (file_storage, fsync on), every record counted back in both, ours wrote every one to disk | %.2f× (%.2f vs %.2f µs/record; marginal %.2f vs %.2f µs, %.2f×); records/s %.0f vs %.0f (%.2f×); counted back: %s; on disk (spilled_items = accepted): %s | %s |\n\n",
			s.load.name, barPersistCPURatio, o.median/a.median, o.median, a.median, om.median, am.median, om.median/am.median,
			rate("ours-wal-sync").median, rate("anchor-pq-fsync").median, rate("ours-wal-sync").median/rate("anchor-pq-fsync").median,
			yesNo(counted), yesNo(onDisk), v)
	}
}

// allOnDisk says whether every run wrote every accepted record to disk, as
// write_ahead must.
func allOnDisk(rs []runResult) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if r.failed != "" || r.spilled != r.accepted {
			return false
		}
	}
	return true
}
