package otlpfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Sentinel errors; check them with errors.Is.
var (
	// ErrUnknownFormat is returned by Next for content of neither format.
	ErrUnknownFormat = errors.New("otlpfile: neither json nor proto records")
	// ErrCorrupt is returned by Next for a proto frame that cannot be one
	// (a length of 0 or over MaxFrameBytes, or a body that is not an
	// export request), or a json line over MaxFrameBytes: the rest of the
	// file cannot be framed. Every later Next returns it too.
	ErrCorrupt = errors.New("otlpfile: corrupt record")
)

// minBuffer is the first size of the read buffer.
const minBuffer = 64 << 10

// Reader reads the records of one file in order. It is not safe for
// concurrent use. The zero Reader is not usable; use Open or NewReader.
type Reader struct {
	src     io.Reader
	closers []io.Closer
	counter *countingReader
	file    *os.File // a plain file Open opened: Skip seeks in it
	format  Format
	comp    Compression

	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	scan       int   // json: where the search for a newline resumes
	off        int64 // offset in the decompressed stream of buf[start]
	bad        error // sticky
}

// Open opens the file at path, telling its compression from its first
// bytes.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	var head [4]byte
	n, _ := f.ReadAt(head[:], 0)
	r, err := NewReader(f, DetectCompression(head[:n]))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	r.closers = append(r.closers, f)
	if r.comp == CompressionNone {
		r.file = f
	}
	return r, nil
}

// NewReader reads records from src, compressed with c. A plain src that
// grows (a file being appended to) can be followed: Next returns io.EOF at
// the end and the next record once it is whole.
func NewReader(src io.Reader, c Compression) (*Reader, error) {
	counter := &countingReader{r: src}
	dec, err := Decompress(counter, c)
	if err != nil {
		return nil, err
	}
	return &Reader{src: dec, closers: []io.Closer{dec}, counter: counter, comp: c}, nil
}

// Format returns the file's format, or "" until enough bytes were read to
// tell it.
func (r *Reader) Format() Format { return r.format }

// Compression returns the file's compression.
func (r *Reader) Compression() Compression { return r.comp }

// Offset returns the offset in the decompressed stream just after the last
// record returned or skipped: where a Reader resumes with Skip.
func (r *Reader) Offset() int64 { return r.off }

// SourceBytes returns how many bytes were read from the underlying file
// (compressed bytes for a backup), for progress.
func (r *Reader) SourceBytes() int64 { return r.counter.n }

// Pending returns the bytes read past the last record that do not make a
// whole record yet: at the end of a file, a torn last record.
func (r *Reader) Pending() int { return r.end - r.start }

// Close closes the decoder and the file Open opened.
func (r *Reader) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	r.closers = nil
	return errors.Join(errs...)
}

// Skip discards n bytes of the decompressed stream, to resume at an offset
// Offset returned before. It fails with io.ErrUnexpectedEOF if the stream
// is shorter.
func (r *Reader) Skip(n int64) error {
	if r.file != nil && r.start == r.end && n > 0 {
		return r.seek(n)
	}
	for n > 0 {
		if r.start == r.end {
			if err := r.fill(); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("skip to offset %d: %w", r.off+n, err)
			}
		}
		k := int(min(n, int64(r.end-r.start)))
		r.consume(k)
		n -= int64(k)
	}
	r.scan = r.start
	return nil
}

// seek skips n bytes of a plain file without reading them.
func (r *Reader) seek(n int64) error {
	fi, err := r.file.Stat()
	if err != nil {
		return fmt.Errorf("skip to offset %d: %w", r.off+n, err)
	}
	pos := r.counter.n + n
	if fi.Size() < pos {
		return fmt.Errorf("skip to offset %d: %w", r.off+n, io.ErrUnexpectedEOF)
	}
	if _, err := r.file.Seek(pos, io.SeekStart); err != nil {
		return fmt.Errorf("skip to offset %d: %w", r.off+n, err)
	}
	r.counter.n, r.off = pos, r.off+n
	return nil
}

// Next returns the next record: a json line without its newline, or a
// proto frame's body. It is valid until the next call. At the end of the
// data Next returns io.EOF, keeping a partial last record (see Pending).
// Empty json lines are skipped.
func (r *Reader) Next() ([]byte, error) {
	if r.bad != nil {
		return nil, r.bad
	}
	if r.format == "" {
		if err := r.detect(); err != nil {
			return nil, err
		}
	}
	if r.format == FormatJSON {
		return r.nextLine()
	}
	return r.nextFrame()
}

// detect reads until the format is known.
func (r *Reader) detect() error {
	for {
		found, ok := DetectFormat(r.buf[r.start:r.end])
		switch {
		case !ok:
			r.bad = fmt.Errorf("%w: the data starts with %q", ErrUnknownFormat, r.buf[r.start:min(r.end, r.start+9)])
			return r.bad
		case found != "":
			r.format = found
			return nil
		case r.end-r.start >= DetectHeadBytes:
			r.bad = fmt.Errorf("%w: %d zero bytes", ErrUnknownFormat, r.end-r.start)
			return r.bad
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

func (r *Reader) nextLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.scan:r.end], '\n'); i >= 0 {
			nl := r.scan + i
			line := r.buf[r.start:nl]
			r.consume(nl + 1 - r.start)
			r.scan = r.start
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			return line, nil
		}
		r.scan = r.end
		if r.end-r.start > MaxFrameBytes {
			r.bad = fmt.Errorf("%w: a line of over %d bytes at offset %d", ErrCorrupt, MaxFrameBytes, r.off)
			return nil, r.bad
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

func (r *Reader) nextFrame() ([]byte, error) {
	for {
		avail := r.end - r.start
		if avail >= 4 {
			n := int64(binary.BigEndian.Uint32(r.buf[r.start:]))
			if n == 0 || n > MaxFrameBytes || (avail > 4 && r.buf[r.start+4] != 0x0a) {
				r.bad = fmt.Errorf("%w: no proto frame at offset %d (length %d)", ErrCorrupt, r.off, n)
				return nil, r.bad
			}
			if int64(avail) >= 4+n {
				body := r.buf[r.start+4 : r.start+4+int(n)]
				r.consume(4 + int(n))
				return body, nil
			}
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

func (r *Reader) consume(n int) {
	r.start += n
	r.off += int64(n)
}

// fill reads more bytes into the buffer, moving the unread bytes to its
// start or growing it (doubling, so memory follows the data actually
// there, never a length read from a damaged header). It returns io.EOF when
// nothing more is there now.
func (r *Reader) fill() error {
	if r.start > 0 && (r.start == r.end || r.start >= len(r.buf)/2) {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.scan -= r.start
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		nb := make([]byte, max(2*len(r.buf), minBuffer))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
