// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
)

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, OutputStdout, cfg.Output)
	assert.Equal(t, FormatText, cfg.Format)
	assert.Equal(t, VerbosityNormal, cfg.Verbosity)
	assert.Equal(t, ColorAuto, cfg.Color)
	assert.Equal(t, 0, cfg.Sampling.Initial)
	assert.Equal(t, 1, cfg.Sampling.Thereafter)
	assert.False(t, cfg.QueueConfig.HasValue(), "sending_queue off by default")
	assert.False(t, cfg.RetryConfig.Enabled, "retry_on_failure off by default")
	require.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.Output = OutputStderr
	full.Format = FormatJSON
	full.Verbosity = VerbosityDetailed
	full.Color = ColorNever
	full.Sampling = SamplingConfig{Initial: 10, Thereafter: 100}
	full.QueueConfig.GetOrInsertDefault().QueueSize = 50
	full.RetryConfig.Enabled = true

	tests := []struct {
		name         string
		id           component.ID
		want         *Config
		unmarshalErr string
		validateErr  string
	}{
		{name: "defaults", id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{name: "full", id: component.NewIDWithName(metadata.Type, "full"), want: full},
		{
			name: "bad enums",
			id:   component.NewIDWithName(metadata.Type, "bad_enums"),
			validateErr: `output must be one of stdout, stderr, got "stdoot"` + "\n" +
				`format must be one of text, json, logfmt, otlp_json, got "yaml"` + "\n" +
				`verbosity must be one of basic, normal, detailed, got "loud"` + "\n" +
				`color must be one of auto, always, never, got "sometimes"`,
		},
		{
			name:        "bad sampling",
			id:          component.NewIDWithName(metadata.Type, "bad_sampling"),
			validateErr: "sampling: initial must be 0 or greater, got -1",
		},
		{
			name:        "bad thereafter",
			id:          component.NewIDWithName(metadata.Type, "bad_thereafter"),
			validateErr: "sampling: thereafter must be 0 or greater, got -2",
		},
		{
			name:         "typo",
			id:           component.NewIDWithName(metadata.Type, "typo"),
			unmarshalErr: "decoding failed due to the following error(s):\n\n'consolesink.Config' has invalid keys: formt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tt.unmarshalErr != "" {
				require.EqualError(t, err, tt.unmarshalErr)
				return
			}
			require.NoError(t, err)
			if tt.validateErr != "" {
				require.EqualError(t, confmap.Validate(cfg), tt.validateErr)
				return
			}
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestUnmarshalEmptyKeepsDefaults(t *testing.T) {
	cfg := createDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(&cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
}
