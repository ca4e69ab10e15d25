package otlpfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// records are n distinct request bodies; encode frames them in format f.
func records(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"resourceLogs":[{"i":%d,"pad":"%s"}]}`, i, bytes.Repeat([]byte("x"), i*37%200))
	}
	return out
}

// protoBody is a request-shaped body: field 1 holding up to 120 bytes of rec.
func protoBody(rec []byte) []byte {
	k := min(len(rec), 120)
	return append([]byte{0x0a, byte(k)}, rec[:k]...)
}

func encode(t testing.TB, f Format, recs [][]byte) []byte {
	t.Helper()
	var b []byte
	for _, r := range recs {
		if f == FormatJSON {
			b = append(append(b, r...), '\n')
			continue
		}
		body := protoBody(r)
		b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
	}
	return b
}

func compress(t testing.TB, c Compression, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	switch c {
	case CompressionGzip:
		w := gzip.NewWriter(&out)
		_, err := w.Write(b)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	case CompressionZstd:
		w, err := zstd.NewWriter(&out)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	default:
		return b
	}
	return out.Bytes()
}

func want(f Format, recs [][]byte) [][]byte {
	if f == FormatJSON {
		return recs
	}
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = protoBody(r)
	}
	return out
}

func readRest(t *testing.T, r *Reader) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, append([]byte(nil), rec...))
	}
}

// Both formats, plain and compressed, read back record for record; a
// reader resumes at a saved offset with Skip.
func TestReadFormatsAndCompressions(t *testing.T) {
	recs := records(500) // past the first buffer size
	for _, f := range []Format{FormatJSON, FormatProto} {
		for _, c := range []Compression{CompressionNone, CompressionGzip, CompressionZstd} {
			t.Run(fmt.Sprintf("%s/%s", f, c), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "data")
				require.NoError(t, os.WriteFile(path, compress(t, c, encode(t, f, recs)), 0o600))
				r, err := Open(path)
				require.NoError(t, err)
				defer r.Close()
				assert.Equal(t, c, r.Compression())
				var first [][]byte
				for range 123 {
					rec, nerr := r.Next()
					require.NoError(t, nerr)
					first = append(first, append([]byte(nil), rec...))
				}
				assert.Equal(t, f, r.Format())
				saved := r.Offset()
				rest := readRest(t, r)
				assert.Equal(t, want(f, recs), append(first, rest...))
				assert.Zero(t, r.Pending())

				r2, err := Open(path)
				require.NoError(t, err)
				defer r2.Close()
				require.NoError(t, r2.Skip(saved))
				assert.Equal(t, rest, readRest(t, r2), "resumed after record 123")

				r3, err := Open(path)
				require.NoError(t, err)
				defer r3.Close()
				require.ErrorIs(t, r3.Skip(int64(len(encode(t, f, recs)))+1), io.ErrUnexpectedEOF, "a file shorter than the offset")
			})
		}
	}
}

// A growing plain file is followed: a partial last record waits, and is
// returned once whole.
func TestFollowGrowingFile(t *testing.T) {
	for _, f := range []Format{FormatJSON, FormatProto} {
		t.Run(string(f), func(t *testing.T) {
			all := encode(t, f, records(3))
			cut := len(all) - 7
			path := filepath.Join(t.TempDir(), "data")
			require.NoError(t, os.WriteFile(path, all[:cut], 0o600))
			r, err := Open(path)
			require.NoError(t, err)
			defer r.Close()
			require.Len(t, readRest(t, r), 2)
			assert.Positive(t, r.Pending(), "the torn record waits")
			fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = fh.Write(all[cut:])
			require.NoError(t, err)
			require.NoError(t, fh.Close())
			got := readRest(t, r)
			assert.Equal(t, want(f, records(3))[2:], got)
			assert.Equal(t, int64(len(all)), r.Offset())
		})
	}
}

// Damage: a proto frame that is not one stops the file with ErrCorrupt,
// and stays stopped; foreign content is ErrUnknownFormat; an empty file
// is just at its end.
func TestDamage(t *testing.T) {
	good := encode(t, FormatProto, records(2))
	bad := append(append([]byte(nil), good...), 0, 0, 0, 5, 0x99, 1, 2, 3, 4)
	r, err := NewReader(bytes.NewReader(bad), CompressionNone)
	require.NoError(t, err)
	require.Len(t, readRestUntilErr(r), 2)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), fmt.Sprintf("offset %d", len(good)))
	_, err = r.Next()
	require.ErrorIs(t, err, ErrCorrupt, "sticky")

	r, err = NewReader(bytes.NewReader([]byte("hello world\n")), CompressionNone)
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrUnknownFormat)

	r, err = NewReader(bytes.NewReader(nil), CompressionNone)
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF)

	_, err = NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 1}), CompressionGzip)
	require.Error(t, err, "a torn gzip header")
}

func readRestUntilErr(r *Reader) [][]byte {
	var out [][]byte
	for {
		rec, err := r.Next()
		if err != nil {
			return out
		}
		out = append(out, rec)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		f    Format
		ok   bool
	}{
		{"json", []byte(`{"resourceSpans":[]}`), FormatJSON, true},
		{"json after zeros", []byte("\x00\x00\x00{"), FormatJSON, true},
		{"proto", []byte{0, 0, 0, 3, 0x0a, 1, 0}, FormatProto, true},
		{"too short", []byte{0, 0}, "", true},
		{"zeros", make([]byte, 10), "", true},
		{"text", []byte("hello"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := DetectFormat(tt.head)
			assert.Equal(t, tt.f, f)
			assert.Equal(t, tt.ok, ok)
		})
	}
	assert.Equal(t, CompressionGzip, DetectCompression([]byte{0x1f, 0x8b, 8, 0}))
	assert.Equal(t, CompressionZstd, DetectCompression([]byte{0x28, 0xb5, 0x2f, 0xfd}))
	assert.Equal(t, CompressionNone, DetectCompression([]byte("{")))
}
