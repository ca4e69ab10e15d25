// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Defaults of resilientsink (DESIGN.md), used when a key is absent.
const (
	defaultMemoryLimitMiB   = 64
	defaultOverflow         = "drop_oldest"
	defaultShutdownStrategy = "graceful"
	defaultShutdownTimeout  = 10 * time.Second
	defaultPersistenceMode  = "spill"
	defaultPersistenceMiB   = 1024
	defaultDeadLetterMiB    = 1024
)

// CollectorConfig is the part of a collector configuration the checks read.
// It is decoded leniently: `otelcol-resilient validate` checks the rest.
type CollectorConfig struct {
	// Extensions maps an extension ID to its configuration.
	Extensions map[string]json.RawMessage `json:"extensions"`
	// Receivers maps a receiver ID to its configuration.
	Receivers map[string]json.RawMessage `json:"receivers"`
	// Processors maps a processor ID to its configuration.
	Processors map[string]json.RawMessage `json:"processors"`
	// Exporters maps an exporter ID to its configuration.
	Exporters map[string]json.RawMessage `json:"exporters"`
	// Service is the service section.
	Service ServiceConfig `json:"service"`
}

// ServiceConfig is the service section of a collector configuration.
type ServiceConfig struct {
	// Extensions lists the enabled extension IDs.
	Extensions []string `json:"extensions"`
	// Telemetry is the collector's own telemetry.
	Telemetry struct {
		Metrics struct {
			Readers []struct {
				Pull *struct {
					Exporter struct {
						Prometheus *struct {
							Host string `json:"host"`
							Port int    `json:"port"`
						} `json:"prometheus"`
					} `json:"exporter"`
				} `json:"pull"`
			} `json:"readers"`
		} `json:"metrics"`
	} `json:"telemetry"`
	// Pipelines maps a pipeline ID to its components.
	Pipelines map[string]PipelineConfig `json:"pipelines"`
}

// PipelineConfig lists the components of one pipeline.
type PipelineConfig struct {
	// Receivers lists receiver IDs.
	Receivers []string `json:"receivers"`
	// Processors lists processor IDs in order.
	Processors []string `json:"processors"`
	// Exporters lists exporter IDs.
	Exporters []string `json:"exporters"`
}

// ParseCollectorConfig decodes a collector configuration.
func ParseCollectorConfig(data []byte) (*CollectorConfig, error) {
	var c CollectorConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse collector config: %w", err)
	}
	return &c, nil
}

// componentType returns the type part of a component ID ("otlp_grpc/backend" -> "otlp_grpc").
func componentType(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

// decodeComponent decodes a component's raw configuration into v; an empty
// (null) configuration leaves v at its zero value.
func decodeComponent(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// Instance is one resilientsink processor instance: the collector builds one
// per pipeline that lists the processor ID.
type Instance struct {
	// Pipeline is the pipeline ID.
	Pipeline string
	// ID is the processor ID.
	ID string
	// MemoryLimitMiB is memory_limit_mib (default applied).
	MemoryLimitMiB int
	// Overflow is overflow (default applied).
	Overflow string
	// ShutdownStrategy is shutdown.strategy (default applied).
	ShutdownStrategy string
	// ShutdownTimeout is shutdown.timeout (default applied).
	ShutdownTimeout time.Duration
	// PersistenceDirectory is persistence.directory; empty means off.
	PersistenceDirectory string
	// PersistenceMode is persistence.mode (default applied).
	PersistenceMode string
	// PersistenceMaxMiB is persistence.max_megabytes (default applied).
	PersistenceMaxMiB int
	// PersistenceSync is persistence.sync (default applied).
	PersistenceSync bool
	// DeadLetterDirectory is dead_letter.directory; empty means off.
	DeadLetterDirectory string
	// DeadLetterMaxMiB is dead_letter.max_megabytes (default applied).
	DeadLetterMaxMiB int
}

// Signal is the pipeline's signal: logs, traces or metrics.
func (in Instance) Signal() string {
	return componentType(in.Pipeline)
}

// Spills reports whether the instance writes its memory queue to disk at
// Shutdown (persistence on, mode spill). Under write_ahead every batch is on
// disk already when it is accepted.
func (in Instance) Spills() bool {
	return in.PersistenceDirectory != "" && in.PersistenceMode == "spill"
}

// SpillTime is how long the instance may take, after its drain, to write what
// it still holds to disk: memory_limit_mib at DiskWriteMiBPerSecond; zero
// unless it spills.
func (in Instance) SpillTime() time.Duration {
	if !in.Spills() || in.MemoryLimitMiB <= 0 {
		return 0
	}
	return time.Duration(in.MemoryLimitMiB) * time.Second / DiskWriteMiBPerSecond
}

// Folder is the instance's own folder below persistence.directory: the
// processor ID with "/" replaced by "_", a dash, the signal
// (resilientsink_backend-logs); empty when persistence is off.
func (in Instance) Folder() string { return in.folderBelow(in.PersistenceDirectory) }

// DeadLetterFolder is the instance's own folder below dead_letter.directory,
// named as Folder; empty when dead letters are off.
func (in Instance) DeadLetterFolder() string { return in.folderBelow(in.DeadLetterDirectory) }

func (in Instance) folderBelow(dir string) string {
	if dir == "" {
		return ""
	}
	return path.Join(dir, strings.ReplaceAll(in.ID, "/", "_")+"-"+in.Signal())
}

// Instances returns every resilientsink instance, one per (pipeline, processor ID).
func (c *CollectorConfig) Instances() ([]Instance, error) {
	var out []Instance
	for _, pid := range sortedKeys(c.Service.Pipelines) {
		for _, id := range c.Service.Pipelines[pid].Processors {
			if componentType(id) != "resilientsink" {
				continue
			}
			var raw struct {
				MemoryLimitMiB *int   `json:"memory_limit_mib"`
				Overflow       string `json:"overflow"`
				Shutdown       struct {
					Strategy string `json:"strategy"`
					Timeout  string `json:"timeout"`
				} `json:"shutdown"`
				Persistence struct {
					Directory    string `json:"directory"`
					Mode         string `json:"mode"`
					MaxMegabytes *int   `json:"max_megabytes"`
					Sync         *bool  `json:"sync"`
				} `json:"persistence"`
				DeadLetter struct {
					Directory    string `json:"directory"`
					MaxMegabytes *int   `json:"max_megabytes"`
				} `json:"dead_letter"`
			}
			if err := decodeComponent(c.Processors[id], &raw); err != nil {
				return nil, fmt.Errorf("processor %s: %w", id, err)
			}
			in := Instance{Pipeline: pid, ID: id, MemoryLimitMiB: defaultMemoryLimitMiB,
				ShutdownStrategy: defaultShutdownStrategy, ShutdownTimeout: defaultShutdownTimeout,
				PersistenceDirectory: raw.Persistence.Directory, PersistenceMode: defaultPersistenceMode,
				PersistenceMaxMiB:   defaultPersistenceMiB,
				DeadLetterDirectory: raw.DeadLetter.Directory, DeadLetterMaxMiB: defaultDeadLetterMiB}
			if raw.MemoryLimitMiB != nil {
				in.MemoryLimitMiB = *raw.MemoryLimitMiB
			}
			if raw.Persistence.Mode != "" {
				in.PersistenceMode = raw.Persistence.Mode
			}
			if raw.Persistence.MaxMegabytes != nil {
				in.PersistenceMaxMiB = *raw.Persistence.MaxMegabytes
			}
			in.PersistenceSync = raw.Persistence.Sync == nil || *raw.Persistence.Sync
			in.Overflow = cmp.Or(raw.Overflow, defaultOverflow)
			if raw.DeadLetter.MaxMegabytes != nil {
				in.DeadLetterMaxMiB = *raw.DeadLetter.MaxMegabytes
			}
			if raw.Shutdown.Strategy != "" {
				in.ShutdownStrategy = raw.Shutdown.Strategy
			}
			if raw.Shutdown.Timeout != "" {
				d, err := time.ParseDuration(raw.Shutdown.Timeout)
				if err != nil {
					return nil, fmt.Errorf("processor %s: shutdown.timeout: %w", id, err)
				}
				in.ShutdownTimeout = d
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// Endpoint is a listening address from the collector configuration.
type Endpoint struct {
	// Name says what listens: "receivers::otlp::grpc", "extensions::health_check".
	Name string
	// Host is the host part; empty means every interface.
	Host string
	// Port is the TCP port.
	Port int
}

func parseEndpoint(name, hostport string) (Endpoint, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%s endpoint %q: %w", name, hostport, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%s endpoint %q: %w", name, hostport, err)
	}
	return Endpoint{Name: name, Host: host, Port: p}, nil
}

// HealthCheck returns the endpoint and path of the health_check extension
// enabled in the service, and whether there is one.
func (c *CollectorConfig) HealthCheck() (Endpoint, string, bool, error) {
	for _, id := range c.Service.Extensions {
		if componentType(id) != "health_check" {
			continue
		}
		cfg := struct {
			Endpoint string `json:"endpoint"`
			Path     string `json:"path"`
		}{Endpoint: "localhost:13133", Path: "/"}
		if err := decodeComponent(c.Extensions[id], &cfg); err != nil {
			return Endpoint{}, "", false, fmt.Errorf("extension %s: %w", id, err)
		}
		ep, err := parseEndpoint("extensions::"+id, cfg.Endpoint)
		return ep, cfg.Path, true, err
	}
	return Endpoint{}, "", false, nil
}

// ReceiverEndpoints returns the endpoints of the OTLP receivers used by a pipeline.
func (c *CollectorConfig) ReceiverEndpoints() ([]Endpoint, error) {
	used := map[string]bool{}
	for _, p := range c.Service.Pipelines {
		for _, id := range p.Receivers {
			used[id] = true
		}
	}
	var out []Endpoint
	for _, id := range sortedKeys(used) {
		if componentType(id) != "otlp" {
			continue
		}
		var cfg struct {
			Protocols map[string]*struct {
				Endpoint string `json:"endpoint"`
			} `json:"protocols"`
		}
		if err := decodeComponent(c.Receivers[id], &cfg); err != nil {
			return nil, fmt.Errorf("receiver %s: %w", id, err)
		}
		defaults := map[string]string{"grpc": "localhost:4317", "http": "localhost:4318"}
		for _, proto := range sortedKeys(cfg.Protocols) {
			hp := defaults[proto]
			if p := cfg.Protocols[proto]; p != nil && p.Endpoint != "" {
				hp = p.Endpoint
			}
			ep, err := parseEndpoint("receivers::"+id+"::"+proto, hp)
			if err != nil {
				return nil, err
			}
			out = append(out, ep)
		}
	}
	return out, nil
}

// TelemetryEndpoint returns the Prometheus endpoint of the collector's own
// metrics, and whether there is one.
func (c *CollectorConfig) TelemetryEndpoint() (Endpoint, bool) {
	for _, r := range c.Service.Telemetry.Metrics.Readers {
		if r.Pull != nil && r.Pull.Exporter.Prometheus != nil {
			p := r.Pull.Exporter.Prometheus
			return Endpoint{Name: "service::telemetry::metrics", Host: p.Host, Port: p.Port}, true
		}
	}
	return Endpoint{}, false
}
