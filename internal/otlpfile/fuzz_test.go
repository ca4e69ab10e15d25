package otlpfile

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader: damaged files (any bytes, in any compression) never panic;
// every json record is one line, every proto record a field-1 body; offsets
// only grow, and never past the data.
func FuzzReader(f *testing.F) {
	f.Add(encode(f, FormatJSON, records(3)), uint8(0))
	f.Add(encode(f, FormatProto, records(3)), uint8(0))
	f.Add(compress(f, CompressionGzip, encode(f, FormatProto, records(3))), uint8(1))
	f.Add(compress(f, CompressionZstd, encode(f, FormatJSON, records(3))), uint8(2))
	f.Add([]byte{0, 0, 0, 9, 0x0a, 1}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, c uint8) {
		comp := []Compression{CompressionNone, CompressionGzip, CompressionZstd}[int(c)%3]
		r, err := NewReader(bytes.NewReader(data), comp)
		if err != nil {
			return
		}
		defer r.Close()
		last := int64(0)
		for range 10000 {
			rec, err := r.Next()
			if err != nil {
				if errors.Is(err, io.EOF) && r.Format() != "" && comp == CompressionNone && r.Offset()+int64(r.Pending()) != int64(len(data)) {
					t.Fatalf("offset %d + pending %d != %d bytes", r.Offset(), r.Pending(), len(data))
				}
				return
			}
			switch r.Format() {
			case FormatJSON:
				if bytes.IndexByte(rec, '\n') >= 0 {
					t.Fatal("a json record holds a newline")
				}
			case FormatProto:
				if len(rec) == 0 || rec[0] != 0x0a {
					t.Fatalf("a proto record starts with %x", rec)
				}
			}
			if r.Offset() <= last {
				t.Fatal("offset did not grow")
			}
			last = r.Offset()
		}
	})
}
