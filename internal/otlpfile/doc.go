// Package otlpfile reads the files exporter/filesink writes: OTLP export
// requests as JSON lines (format json) or as 4-byte big-endian
// length-prefixed protobuf (format proto), plain or as rotated backups
// compressed with gzip or zstd. It tells a file's format and compression
// from its first bytes (not its name), and reads records one at a time
// through one buffer, so a growing file can be followed and a reader can
// resume from a byte offset. It does not decode the requests: a record is
// the bytes of one request, for pdata's JSON or proto unmarshaler.
//
// exporter/filesink uses its format detection to refuse a file of the other
// format, and its decompression to check archives; the replay receiver reads
// archives with it. It imports no collector package.
package otlpfile
