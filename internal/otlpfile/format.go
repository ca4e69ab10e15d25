package otlpfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Format is the record encoding of a file.
type Format string

const (
	// FormatJSON is one OTLP/JSON export request per line.
	FormatJSON Format = "json"
	// FormatProto is a 4-byte big-endian length, then the OTLP protobuf
	// export request.
	FormatProto Format = "proto"
)

// MaxFrameBytes is the largest proto record (1 GiB): a length above it is
// damage, not a record.
const MaxFrameBytes = 1 << 30

// DetectHeadBytes is how many first bytes DetectFormat wants, at most.
const DetectHeadBytes = 4096

// DetectFormat tells the format of a file from its first bytes. A json file
// starts with '{' (after zeros, if a power loss zeroed its first block), a
// proto file with a frame length and 0x0a, the tag of the request's only
// field. found is "" when head is too short or all zeros to tell; ok is
// false for content of neither format.
func DetectFormat(head []byte) (found Format, ok bool) {
	if len(head) > 0 && head[0] == '{' {
		return FormatJSON, true
	}
	if len(head) > 4 && head[4] == 0x0a {
		if n := binary.BigEndian.Uint32(head); n > 0 && n <= MaxFrameBytes {
			return FormatProto, true
		}
	}
	if rest := bytes.TrimLeft(head, "\x00"); len(rest) > 0 && rest[0] == '{' {
		return FormatJSON, true
	}
	if len(head) <= 4 || head[0] == 0 {
		return "", true
	}
	return "", false
}

// Compression is how a file is compressed.
type Compression string

const (
	// CompressionNone is a plain file.
	CompressionNone Compression = "none"
	// CompressionGzip is a gzip stream (.gz backups).
	CompressionGzip Compression = "gzip"
	// CompressionZstd is a zstd stream (.zst backups).
	CompressionZstd Compression = "zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// DetectCompression tells the compression of a file from its first four
// bytes. Neither record format can start like a gzip or zstd stream.
func DetectCompression(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return CompressionGzip
	case bytes.HasPrefix(head, zstdMagic):
		return CompressionZstd
	}
	return CompressionNone
}

// Decompress returns a reader of the decompressed stream r. Close releases
// the decoder (not r).
func Decompress(r io.Reader, c Compression) (io.ReadCloser, error) {
	switch c {
	case CompressionGzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return z, nil
	case CompressionZstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zstdCloser{z}, nil
	}
	return io.NopCloser(r), nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }
