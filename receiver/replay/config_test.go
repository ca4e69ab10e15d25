package replay

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	minimal := createDefaultConfig().(*Config)
	minimal.Include = []string{"./data/dead/resilientsink_file-logs"}

	full := &Config{
		Include:              []string{"./data/dead/resilientsink_file-logs", "./archive/logs*.jsonl*"},
		Reasons:              []string{"permanent_error", "expired"},
		RateLimit:            5000,
		Checkpoint:           "/var/lib/otel/replay.checkpoint",
		OnDone:               OnDoneDelete,
		PollInterval:         30 * time.Second,
		DeadLetterAttributes: true,
	}

	tests := []struct {
		name    string
		want    *Config
		wantErr string
		wantUnm string
	}{
		{name: "minimal", want: minimal},
		{name: "full", want: full},
		{name: "no_include", wantErr: "include must list at least one folder or file"},
		{name: "bad_values", wantErr: `include must hold valid paths or globs, got "./archive/[logs"` + "\n" +
			`reasons must be among permanent_error, retries_exhausted, expired, too_large, panic, overflow, shutdown, got "dropped"` + "\n" +
			"rate_limit must be greater than or equal to 0, got -1\n" +
			"checkpoint must not be empty\n" +
			`on_done must be one of keep, delete, got "archive"` + "\n" +
			"poll_interval must be greater than or equal to 0, got -1s"},
		{name: "typo", wantUnm: "decoding failed due to the following error(s):\n\n'replay.Config' has invalid keys: on_dne"},
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

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, &Config{Checkpoint: "./data/replay.checkpoint", OnDone: OnDoneKeep}, cfg)
	require.EqualError(t, confmap.Validate(cfg), "include must list at least one folder or file")
	before := *cfg
	before.Include = []string{"x"}
	after := before
	require.NoError(t, after.Validate())
	assert.Equal(t, before, after, "Validate has no side effects")
}
