//go:generate mdatagen metadata.yaml

// Package filesink provides an exporter that appends OTLP data (JSON lines or
// length-prefixed protobuf) to files, with a buffering and fsync policy,
// crash repair, record-atomic size and age rotation, and compressed backups.
package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"
