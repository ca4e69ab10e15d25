package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Format is the on-disk encoding of the exported data.
type Format string

const (
	// FormatJSON writes one OTLP/JSON export request per line.
	FormatJSON Format = "json"
	// FormatProto writes a 4-byte big-endian length, then the OTLP protobuf export request.
	FormatProto Format = "proto"
)

// Durability says when ConsumeX returns relative to the data reaching the disk.
type Durability string

const (
	// DurabilityBuffered returns once the batch is in the process buffer.
	DurabilityBuffered Durability = "buffered"
	// DurabilityFlushed returns after write(2): the data survives a process crash.
	DurabilityFlushed Durability = "flushed"
	// DurabilitySynced returns after fsync: the data survives power loss.
	DurabilitySynced Durability = "synced"
)

// Compression is the codec of rotated backups.
type Compression string

const (
	// CompressionGzip compresses backups with gzip (.gz).
	CompressionGzip Compression = "gzip"
	// CompressionZstd compresses backups with zstd (.zst).
	CompressionZstd Compression = "zstd"
	// CompressionNone keeps backups uncompressed.
	CompressionNone Compression = "none"
)

// Config defines the configuration of the filesink exporter.
type Config struct {
	// Path of the active file. "{signal}" expands to logs, traces or metrics.
	// Missing parent folders are created. Required.
	Path string `mapstructure:"path"`

	// Format is json (one OTLP/JSON export request per line) or proto
	// (4-byte big-endian length, then the OTLP protobuf export request).
	Format Format `mapstructure:"format"`

	// Durability is buffered, flushed or synced: when ConsumeX returns.
	Durability Durability `mapstructure:"durability"`

	// FlushInterval is, with durability buffered, the longest time bytes wait
	// in the process buffer before they are written.
	FlushInterval time.Duration `mapstructure:"flush_interval"`

	// FileMode is the octal permission of created files, such as "0640".
	FileMode string `mapstructure:"file_mode"`

	// Rotation rotates the active file into backups. Absent means no rotation.
	Rotation configoptional.Optional[RotationConfig] `mapstructure:"rotation"`

	// TimeoutConfig is the deadline of one export (key timeout).
	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is exporterhelper's sending_queue; off unless configured,
	// because resilientsink queues in front of this exporter.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// RetryConfig is exporterhelper's retry_on_failure; disabled by default.
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RotationConfig defines when the active file is rotated and which backups are kept.
type RotationConfig struct {
	// MaxMegabytes rotates when the active file would pass this size (MiB)
	// with the next record. 0 means no size limit (max_age must then be set).
	MaxMegabytes int `mapstructure:"max_megabytes"`
	// MaxAge also rotates when the active file is older than this. 0 means never by age.
	MaxAge time.Duration `mapstructure:"max_age"`
	// MaxBackups is the most backups kept; 0 keeps all.
	MaxBackups int `mapstructure:"max_backups"`
	// MaxTotalMegabytes deletes the oldest backups beyond this total size (MiB); 0 means no cap.
	MaxTotalMegabytes int `mapstructure:"max_total_megabytes"`
	// Compression of backups: gzip, zstd or none.
	Compression Compression `mapstructure:"compression"`
	// LocalTime uses local time instead of UTC in backup names.
	LocalTime bool `mapstructure:"localtime"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

var errPathEmpty = errors.New("path must not be empty")

// Validate checks the configuration without changing it.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errPathEmpty)
	}
	switch c.Format {
	case FormatJSON, FormatProto:
	default:
		errs = append(errs, fmt.Errorf("format must be one of json, proto, got %q", c.Format))
	}
	switch c.Durability {
	case DurabilityBuffered, DurabilityFlushed, DurabilitySynced:
	default:
		errs = append(errs, fmt.Errorf("durability must be one of buffered, flushed, synced, got %q", c.Durability))
	}
	switch {
	case c.FlushInterval < 0:
		errs = append(errs, fmt.Errorf("flush_interval must not be negative, got %s", c.FlushInterval))
	case c.Durability == DurabilityBuffered && c.FlushInterval == 0:
		errs = append(errs, fmt.Errorf("flush_interval must be greater than 0 when durability is buffered, got %s", c.FlushInterval))
	}
	if _, err := parseFileMode(c.FileMode); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks the rotation settings without changing them.
func (r *RotationConfig) Validate() error {
	var errs []error
	if r.MaxMegabytes < 0 {
		errs = append(errs, fmt.Errorf("max_megabytes must be greater than or equal to 0, got %d", r.MaxMegabytes))
	}
	if r.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max_age must be greater than or equal to 0, got %s", r.MaxAge))
	}
	if r.MaxMegabytes == 0 && r.MaxAge == 0 {
		errs = append(errs, errors.New("max_megabytes or max_age must be greater than 0, got neither"))
	}
	if r.MaxBackups < 0 {
		errs = append(errs, fmt.Errorf("max_backups must be greater than or equal to 0, got %d", r.MaxBackups))
	}
	if r.MaxTotalMegabytes < 0 {
		errs = append(errs, fmt.Errorf("max_total_megabytes must be greater than or equal to 0, got %d", r.MaxTotalMegabytes))
	}
	switch r.Compression {
	case CompressionGzip, CompressionZstd, CompressionNone:
	default:
		errs = append(errs, fmt.Errorf("compression must be one of gzip, zstd, none, got %q", r.Compression))
	}
	return errors.Join(errs...)
}

// parseFileMode parses an octal permission string. The owner must be able to
// read and write, since a restart reopens the file to repair and append.
func parseFileMode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o777 {
		return 0, fmt.Errorf("file_mode must be an octal permission from 0000 to 0777, got %q", s)
	}
	if v&0o600 != 0o600 {
		return 0, fmt.Errorf("file_mode must let the owner read and write (0600), got %q", s)
	}
	return uint32(v), nil
}
