package filesink

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.Path = "/var/lib/otel/{signal}.pb"
	full.Format = FormatProto
	full.Durability = DurabilitySynced
	full.FlushInterval = 2 * time.Second
	full.FileMode = "0600"
	full.TimeoutConfig.Timeout = 3 * time.Second
	full.RetryConfig.Enabled = true
	q := exporterhelper.NewDefaultQueueConfig()
	q.QueueSize = 50
	full.QueueConfig = configoptional.Some(q)
	full.Rotation = configoptional.Some(RotationConfig{
		MaxMegabytes: 50, MaxAge: time.Hour, MaxBackups: 3, MaxTotalMegabytes: 500,
		Compression: CompressionZstd, LocalTime: true,
	})

	minimal := createDefaultConfig().(*Config)
	minimal.Path = "./data/{signal}.jsonl"

	rotDefaults := createDefaultConfig().(*Config)
	rotDefaults.Path = "./data/{signal}.jsonl"
	rotDefaults.Rotation = configoptional.Some(RotationConfig{
		MaxMegabytes: defaultMaxMegabytes, MaxAge: 24 * time.Hour, MaxBackups: defaultMaxBackups,
		Compression: CompressionGzip,
	})

	rotEmpty := createDefaultConfig().(*Config)
	rotEmpty.Path = "./data/{signal}.jsonl"
	rotEmpty.Rotation = configoptional.Some(RotationConfig{
		MaxMegabytes: defaultMaxMegabytes, MaxBackups: defaultMaxBackups, Compression: CompressionGzip,
	})

	rotDisabled := createDefaultConfig().(*Config)
	rotDisabled.Path = "./data/{signal}.jsonl"
	rotDisabled.Rotation = configoptional.None[RotationConfig]()

	tests := []struct {
		name    string
		want    *Config
		wantErr string
		wantUnm string
	}{
		{name: "minimal", want: minimal},
		{name: "full", want: full},
		{name: "rotation_defaults", want: rotDefaults},
		{name: "rotation_empty", want: rotEmpty},
		{name: "rotation_disabled", want: rotDisabled},
		{name: "no_path", wantErr: "path must not be empty"},
		{name: "bad_format", wantErr: `format must be one of json, proto, got "xml"`},
		{name: "bad_durability", wantErr: `durability must be one of buffered, flushed, synced, got "fsync"`},
		{name: "negative_flush_interval", wantErr: "flush_interval must not be negative, got -1s"},
		{name: "zero_flush_interval_buffered", wantErr: "flush_interval must be greater than 0 when durability is buffered, got 0s"},
		{name: "bad_file_mode", wantErr: `file_mode must be an octal permission from 0000 to 0777, got "rw-r-----"`},
		{name: "file_mode_too_large", wantErr: `file_mode must be an octal permission from 0000 to 0777, got "1777"`},
		{name: "file_mode_owner_readonly", wantErr: `file_mode must let the owner read and write (0600), got "0444"`},
		{name: "bad_rotation", wantErr: "rotation: max_megabytes must be greater than or equal to 0, got -1\n" +
			"max_age must be greater than or equal to 0, got -1s\n" +
			"max_backups must be greater than or equal to 0, got -2\n" +
			"max_total_megabytes must be greater than or equal to 0, got -3\n" +
			`compression must be one of gzip, zstd, none, got "lz4"`},
		{name: "rotation_no_trigger", wantErr: "rotation: max_megabytes or max_age must be greater than 0, got neither"},
		{name: "typo", wantUnm: "decoding failed due to the following error(s):\n\n'filesink.Config' has invalid keys: durabilty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			cfg := createDefaultConfig()
			err = sub.Unmarshal(cfg)
			if tt.wantUnm != "" {
				require.EqualError(t, err, tt.wantUnm)
				return
			}
			require.NoError(t, err)
			if tt.wantErr != "" {
				require.EqualError(t, confmap.Validate(cfg), tt.wantErr)
				return
			}
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidateHasNoSideEffects(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Path = "x/{signal}.jsonl"
	before := *cfg
	require.NoError(t, cfg.Validate())
	assert.Equal(t, before, *cfg)
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, FormatJSON, cfg.Format)
	assert.Equal(t, DurabilityFlushed, cfg.Durability)
	assert.Equal(t, time.Second, cfg.FlushInterval)
	assert.Equal(t, "0640", cfg.FileMode)
	assert.False(t, cfg.Rotation.HasValue(), "rotation is off unless configured")
	assert.False(t, cfg.QueueConfig.HasValue(), "sending_queue is off unless configured")
	assert.False(t, cfg.RetryConfig.Enabled, "retry_on_failure is off by default")
	require.EqualError(t, confmap.Validate(cfg), "path must not be empty")
}
