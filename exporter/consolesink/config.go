// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Output names the stream the exporter writes to.
type Output string

const (
	// OutputStdout writes to the process's standard output.
	OutputStdout Output = "stdout"
	// OutputStderr writes to the process's standard error.
	OutputStderr Output = "stderr"
)

// Format names the line format the exporter writes.
type Format string

const (
	// FormatText writes one human-readable line per record.
	FormatText Format = "text"
	// FormatJSON writes one flat JSON object per record, one per line.
	FormatJSON Format = "json"
	// FormatLogfmt writes one logfmt line per record.
	FormatLogfmt Format = "logfmt"
	// FormatOTLPJSON writes one OTLP/JSON export request per batch, one per line.
	FormatOTLPJSON Format = "otlp_json"
)

// Verbosity sets how much of each batch is written.
type Verbosity string

const (
	// VerbosityBasic writes one summary line per batch.
	VerbosityBasic Verbosity = "basic"
	// VerbosityNormal writes one line per record.
	VerbosityNormal Verbosity = "normal"
	// VerbosityDetailed writes one line per record including resource and scope attributes.
	VerbosityDetailed Verbosity = "detailed"
)

// ColorMode decides whether the text format uses ANSI colors.
type ColorMode string

const (
	// ColorAuto colors only when the output is a terminal and NO_COLOR is unset or empty.
	ColorAuto ColorMode = "auto"
	// ColorAlways always colors.
	ColorAlways ColorMode = "always"
	// ColorNever never colors.
	ColorNever ColorMode = "never"
)

// SamplingConfig limits how many records are printed per second.
type SamplingConfig struct {
	// Initial is how many records are printed each second before sampling
	// starts. 0 disables sampling: every record is printed.
	Initial int `mapstructure:"initial"`
	// Thereafter: after the first Initial records of a second, every
	// Thereafter-th record is printed; 0 prints none of them.
	Thereafter int `mapstructure:"thereafter"`

	_ struct{}
}

// Validate checks the sampling settings. It reports the first problem only:
// the collector prefixes the message with "sampling: ", which would label
// only the first line of a joined error.
func (c *SamplingConfig) Validate() error {
	if c.Initial < 0 {
		return fmt.Errorf("initial must be 0 or greater, got %d", c.Initial)
	}
	if c.Thereafter < 0 {
		return fmt.Errorf("thereafter must be 0 or greater, got %d", c.Thereafter)
	}
	return nil
}

// Config defines the configuration of the consolesink exporter.
type Config struct {
	// Output is where lines are written: stdout or stderr.
	Output Output `mapstructure:"output"`
	// Format is the line format: text, json, logfmt or otlp_json.
	Format Format `mapstructure:"format"`
	// Verbosity is basic (one summary line per batch), normal (one line per
	// record) or detailed (one line per record with resource and scope
	// attributes). It applies to text, json and logfmt; otlp_json ignores it.
	Verbosity Verbosity `mapstructure:"verbosity"`
	// Color is auto, always or never; only the text format uses color.
	Color ColorMode `mapstructure:"color"`
	// Sampling limits how many records are printed per second.
	Sampling SamplingConfig `mapstructure:"sampling"`
	// QueueConfig is exporterhelper's sending queue; disabled by default.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// RetryConfig is exporterhelper's retry on failure; disabled by default.
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the exporter configuration.
func (c *Config) Validate() error {
	var errs []error
	switch c.Output {
	case OutputStdout, OutputStderr:
	default:
		errs = append(errs, fmt.Errorf("output must be one of stdout, stderr, got %q", c.Output))
	}
	switch c.Format {
	case FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON:
	default:
		errs = append(errs, fmt.Errorf("format must be one of text, json, logfmt, otlp_json, got %q", c.Format))
	}
	switch c.Verbosity {
	case VerbosityBasic, VerbosityNormal, VerbosityDetailed:
	default:
		errs = append(errs, fmt.Errorf("verbosity must be one of basic, normal, detailed, got %q", c.Verbosity))
	}
	switch c.Color {
	case ColorAuto, ColorAlways, ColorNever:
	default:
		errs = append(errs, fmt.Errorf("color must be one of auto, always, never, got %q", c.Color))
	}
	return errors.Join(errs...)
}
