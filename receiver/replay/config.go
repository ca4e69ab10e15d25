package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// OnDone is what happens to a source once it is fully replayed.
type OnDone string

const (
	// OnDoneKeep leaves the source in place (its checkpoint says it is done).
	OnDoneKeep OnDone = "keep"
	// OnDoneDelete deletes the source: a filesink file, or the fully
	// replayed segment files of a dead-letter folder.
	OnDoneDelete OnDone = "delete"
)

// reasons are the drop reasons a dead letter can carry.
var reasons = []string{"permanent_error", "retries_exhausted", "expired", "too_large", "panic", "overflow", "shutdown"}

// Config is the configuration of the replay receiver.
type Config struct {
	// Include lists the sources: dead-letter folders of the resilientsink
	// processor and filesink files in either format, rotated gzip and zstd
	// backups included. Globs are allowed. Required.
	Include []string `mapstructure:"include"`
	// Reasons, for dead-letter folders: replay only letters dropped for
	// these reasons; empty replays all.
	Reasons []string `mapstructure:"reasons"`
	// RateLimit is the pace in items per second; 0 replays as fast as the
	// pipeline accepts.
	RateLimit float64 `mapstructure:"rate_limit"`
	// Checkpoint is the file that keeps the progress, fsynced after each
	// batch the pipeline accepted; a restart resumes after it (at most the
	// batch in flight comes twice). Each replay receiver needs its own.
	Checkpoint string `mapstructure:"checkpoint"`
	// OnDone is what happens to a source once fully replayed: keep or
	// delete.
	OnDone OnDone `mapstructure:"on_done"`
	// PollInterval: 0 replays what is there, then idles; above 0 the
	// receiver also looks for new files and new records this often.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// DeadLetterAttributes adds the resource attributes
	// resilientsink.dead_letter.reason and resilientsink.dead_letter.error
	// to each replayed dead letter, so a console pipeline shows why each was
	// kept.
	DeadLetterAttributes bool `mapstructure:"dead_letter_attributes"`
	_                    struct{}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Include) == 0 {
		errs = append(errs, errors.New("include must list at least one folder or file"))
	}
	for _, p := range c.Include {
		if _, err := filepath.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
			errs = append(errs, fmt.Errorf("include must hold valid paths or globs, got %q", p))
		}
	}
	for _, r := range c.Reasons {
		if !slices.Contains(reasons, r) {
			errs = append(errs, fmt.Errorf("reasons must be among %s, got %q", strings.Join(reasons, ", "), r))
		}
	}
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("rate_limit must be greater than or equal to 0, got %v", c.RateLimit))
	}
	if c.Checkpoint == "" {
		errs = append(errs, errors.New("checkpoint must not be empty"))
	}
	switch c.OnDone {
	case OnDoneKeep, OnDoneDelete:
	default:
		errs = append(errs, fmt.Errorf("on_done must be one of keep, delete, got %q", c.OnDone))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("poll_interval must be greater than or equal to 0, got %v", c.PollInterval))
	}
	return errors.Join(errs...)
}
