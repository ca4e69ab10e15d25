// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"fmt"
	"path"
	"strings"
)

// queueOnByDefault lists exporter types whose sending_queue and
// retry_on_failure are on unless disabled.
var queueOnByDefault = map[string]bool{"otlp": true, "otlp_grpc": true, "otlphttp": true, "otlp_http": true}

// checkSyncExporters checks that every exporter behind a resilientsink
// reports its result synchronously (its own queue off or wait_for_result, its
// own retry off), so that failures reach resilientsink's retry and breaker,
// and that resilientsink is the last processor of its pipeline.
func (c *CollectorConfig) checkSyncExporters() []error {
	var errs []error
	seen := map[string]bool{}
	for _, pid := range sortedKeys(c.Service.Pipelines) {
		p := c.Service.Pipelines[pid]
		idx := -1
		for i, id := range p.Processors {
			if componentType(id) == "resilientsink" {
				idx = i
			}
		}
		if idx < 0 {
			continue
		}
		if idx != len(p.Processors)-1 {
			errs = append(errs, fmt.Errorf("pipeline %s: resilientsink must be the last processor, got %v", pid, p.Processors))
		}
		for _, id := range p.Exporters {
			if seen[id] {
				continue
			}
			seen[id] = true
			if err := c.checkSyncExporter(id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func (c *CollectorConfig) checkSyncExporter(id string) error {
	var cfg struct {
		SendingQueue *struct {
			Enabled       *bool `json:"enabled"`
			WaitForResult *bool `json:"wait_for_result"`
		} `json:"sending_queue"`
		RetryOnFailure *struct {
			Enabled *bool `json:"enabled"`
		} `json:"retry_on_failure"`
	}
	if err := decodeComponent(c.Exporters[id], &cfg); err != nil {
		return fmt.Errorf("exporter %s: %w", id, err)
	}
	onByDefault := queueOnByDefault[componentType(id)]
	var bad []string
	q := cfg.SendingQueue
	switch {
	case q == nil && onByDefault:
		bad = append(bad, "sending_queue.enabled must be false (or wait_for_result true), got the default (enabled)")
	case q != nil && (q.Enabled == nil || *q.Enabled) && (q.WaitForResult == nil || !*q.WaitForResult):
		bad = append(bad, "sending_queue.enabled must be false (or wait_for_result true), got enabled")
	}
	r := cfg.RetryOnFailure
	switch {
	case (r == nil || r.Enabled == nil) && onByDefault:
		bad = append(bad, "retry_on_failure.enabled must be false, got the default (true)")
	case r != nil && r.Enabled != nil && *r.Enabled:
		bad = append(bad, "retry_on_failure.enabled must be false, got true")
	}
	if len(bad) > 0 {
		return fmt.Errorf("exporter %s behind resilientsink: %s", id, strings.Join(bad, "; "))
	}
	return nil
}

// Filesink is one filesink exporter used by a pipeline.
type Filesink struct {
	// ID is the exporter ID.
	ID string
	// Path is the configured path, with {signal} unexpanded.
	Path string
	// Files is how many active files it writes (one per signal with {signal}).
	Files int
	// BoundMiB is the most disk it uses, backups included; -1 when unbounded.
	BoundMiB int64
}

// Filesinks returns the filesink exporters used by pipelines.
func (c *CollectorConfig) Filesinks() ([]Filesink, error) {
	signals := map[string]map[string]bool{}
	for pid, p := range c.Service.Pipelines {
		for _, id := range p.Exporters {
			if componentType(id) != "filesink" {
				continue
			}
			if signals[id] == nil {
				signals[id] = map[string]bool{}
			}
			signals[id][componentType(pid)] = true
		}
	}
	var out []Filesink
	for _, id := range sortedKeys(signals) {
		var cfg struct {
			Path     string `json:"path"`
			Rotation *struct {
				MaxMegabytes      *int64 `json:"max_megabytes"`
				MaxBackups        *int64 `json:"max_backups"`
				MaxTotalMegabytes int64  `json:"max_total_megabytes"`
			} `json:"rotation"`
		}
		if err := decodeComponent(c.Exporters[id], &cfg); err != nil {
			return nil, fmt.Errorf("exporter %s: %w", id, err)
		}
		fs := Filesink{ID: id, Path: cfg.Path, Files: 1, BoundMiB: -1}
		if strings.Contains(cfg.Path, "{signal}") {
			fs.Files = len(signals[id])
		}
		if rot := cfg.Rotation; rot != nil {
			active, backups := int64(100), int64(10) // filesink defaults
			if rot.MaxMegabytes != nil {
				active = *rot.MaxMegabytes
			}
			if rot.MaxBackups != nil {
				backups = *rot.MaxBackups
			}
			switch {
			case rot.MaxTotalMegabytes > 0:
				fs.BoundMiB = int64(fs.Files) * (active + rot.MaxTotalMegabytes)
			case backups > 0:
				fs.BoundMiB = int64(fs.Files) * active * (1 + backups)
			}
		}
		out = append(out, fs)
	}
	return out, nil
}

// Dir returns the folder of the filesink's files.
func (f Filesink) Dir() string {
	return path.Dir(path.Clean(f.Path))
}
