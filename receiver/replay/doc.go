//go:generate mdatagen metadata.yaml

// Package replay provides a receiver that replays dead-letter folders of the
// resilientsink processor and archives of the filesink exporter (json or
// proto, rotated gzip and zstd backups included) into a pipeline: paced,
// waiting for each batch's result, with an fsynced checkpoint so a restart
// resumes after the last batch the pipeline accepted.
package replay // import "github.com/resilientsink/resilientsink/receiver/replay"
