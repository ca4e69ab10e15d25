package deadletter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits of the envelope's text fields.
const (
	// MaxErrorBytes is the longest error text kept; longer texts are cut
	// (on a UTF-8 boundary) by Write.
	MaxErrorBytes = 1024
	// maxReasonBytes and maxSignalBytes bound the other text fields.
	maxReasonBytes = 256
	maxSignalBytes = 16
)

// envelopeMagic starts every envelope; envelopeVersion is its format.
var envelopeMagic = [4]byte{'R', 'S', 'D', 'L'}

const envelopeVersion = 1

// ErrBadEnvelope is wrapped by the errors of a letter whose envelope does
// not decode (a foreign payload, or a version this package does not know).
var ErrBadEnvelope = errors.New("deadletter: bad envelope")

// Letter is one dead letter: a batch and why it was given up on.
type Letter struct {
	// Signal is traces, metrics or logs: how Payload decodes.
	Signal string
	// Reason is the drop reason (permanent_error, retries_exhausted, ...).
	Reason string
	// Error is the last error text; Write keeps at most MaxErrorBytes of it.
	Error string
	// Arrived is when the batch reached the processor; Dropped when it
	// was given up on. Both keep nanoseconds, not the time zone.
	Arrived time.Time
	Dropped time.Time
	// Attempts is how many times delivery was tried (0: never).
	Attempts int
	// Items is the batch's item count (spans, data points or log records).
	Items int
	// Payload is the OTLP protobuf export request.
	Payload []byte
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// appendEnvelope appends the envelope of l (text fields cut to their
// limits) and its payload to dst.
func appendEnvelope(dst []byte, l Letter) []byte {
	sig := truncateUTF8(l.Signal, maxSignalBytes)
	reason := truncateUTF8(l.Reason, maxReasonBytes)
	msg := truncateUTF8(l.Error, MaxErrorBytes)
	dst = append(dst, envelopeMagic[:]...)
	dst = append(dst, envelopeVersion, byte(len(sig)))
	dst = append(dst, sig...)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(reason)))
	dst = append(dst, reason...)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(msg)))
	dst = append(dst, msg...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(unixNano(l.Arrived)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(max(l.Attempts, 0)))
	return append(dst, l.Payload...)
}

// unixNano is t in unix nanoseconds; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the inverse of unixNano.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// decodeEnvelope decodes an envelope into l's envelope fields and Payload
// (which aliases b). It never panics, whatever b holds.
func decodeEnvelope(b []byte, l *Letter) error {
	if len(b) < 6 || [4]byte(b[:4]) != envelopeMagic {
		return fmt.Errorf("%w: no magic", ErrBadEnvelope)
	}
	if b[4] != envelopeVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadEnvelope, b[4], envelopeVersion)
	}
	d := decoder{b: b[6:]}
	l.Signal = d.text(int(b[5]), maxSignalBytes, "signal")
	l.Reason = d.text(int(d.u16()), maxReasonBytes, "reason")
	l.Error = d.text(int(d.u16()), MaxErrorBytes, "error")
	l.Arrived = fromUnixNano(int64(d.u64()))
	l.Attempts = int(d.u32())
	if d.err != nil {
		return fmt.Errorf("%w: %w", ErrBadEnvelope, d.err)
	}
	l.Payload = d.b
	return nil
}

// decoder reads fields off b; after the first error every read is a no-op.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("%s: %d bytes wanted, %d left", what, n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) text(n, limit int, what string) string {
	if d.err == nil && n > limit {
		d.err = fmt.Errorf("%s of %d bytes is over its limit of %d", what, n, limit)
	}
	return string(d.take(n, what))
}

func (d *decoder) u16() uint16 {
	if p := d.take(2, "length"); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4, "attempts"); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8, "arrival time"); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}
