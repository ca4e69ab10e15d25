package spool

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// Frame layout on disk (all integers little-endian), headerSize bytes of
// header followed by the payload:
//
//	offset size field
//	0      4    magic "RSP" + format version byte 0x01
//	4      4    payload length in bytes (uint32)
//	8      4    items (uint32, caller metadata)
//	12     8    time (int64 unix nanoseconds, caller metadata)
//	20     4    CRC-32C (Castagnoli) of the payload
//	24     4    CRC-32C of bytes 0..23 (the header CRC; it covers the payload
//	            CRC too, so it vouches for the whole frame)
//	28     n    payload
const headerSize = 28

// maxPayload bounds one record's payload. Frame IDs carry a 32-bit offset, so
// a segment must stay below 4 GiB; a record never spans segments.
const maxPayload = 1 << 30

var magic = [4]byte{'R', 'S', 'P', 1}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a decoded frame header.
type header struct {
	length     uint32
	items      uint32
	time       int64
	payloadCRC uint32
}

// frameSize is the size on disk of a frame holding payloadLen bytes.
func frameSize(payloadLen int) int64 { return headerSize + int64(payloadLen) }

// appendFrame appends the encoded frame of r to dst.
func appendFrame(dst []byte, r Record) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, headerSize)...) // no allocation if it fits
	h := dst[n : n+headerSize]
	copy(h[0:4], magic[:])
	binary.LittleEndian.PutUint32(h[4:8], uint32(len(r.Payload)))
	binary.LittleEndian.PutUint32(h[8:12], r.Items)
	binary.LittleEndian.PutUint64(h[12:20], uint64(r.Time))
	binary.LittleEndian.PutUint32(h[20:24], crc32.Checksum(r.Payload, castagnoli))
	binary.LittleEndian.PutUint32(h[24:28], crc32.Checksum(h[:24], castagnoli))
	return append(dst, r.Payload...)
}

// parseHeader decodes b (at least headerSize bytes). ok is false when the
// magic or the header CRC does not match, or the length is out of range.
func parseHeader(b []byte) (h header, ok bool) {
	if len(b) < headerSize || !bytes.Equal(b[0:4], magic[:]) {
		return h, false
	}
	if crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:28]) {
		return h, false
	}
	h = header{
		length:     binary.LittleEndian.Uint32(b[4:8]),
		items:      binary.LittleEndian.Uint32(b[8:12]),
		time:       int64(binary.LittleEndian.Uint64(b[12:20])),
		payloadCRC: binary.LittleEndian.Uint32(b[20:24]),
	}
	if h.length > maxPayload {
		return h, false
	}
	return h, true
}

// payloadOK reports whether p matches the payload CRC of h.
func (h header) payloadOK(p []byte) bool {
	return crc32.Checksum(p, castagnoli) == h.payloadCRC
}

// Ack file records: ackRecordSize bytes each, the frame (or bad region)
// offset in the segment as uint32, then the CRC-32C of the segment number and
// the offset (8 bytes, little-endian). A torn or flipped record fails its
// CRC and is ignored, which at worst yields its frame once more.
const ackRecordSize = 8

// ackCRC is the CRC of an ack record; scratch (8 bytes, reused) keeps the
// checksum's argument off the stack, so the call does not allocate.
func ackCRC(scratch []byte, seg, off uint32) uint32 {
	binary.LittleEndian.PutUint32(scratch[0:4], seg)
	binary.LittleEndian.PutUint32(scratch[4:8], off)
	return crc32.Checksum(scratch[:8], castagnoli)
}

// regionEndSalt marks the second kind of ack record: the end of a bad
// region (its start is recorded like an acked frame). Its CRC is computed
// over the segment number XOR this salt.
const regionEndSalt = 0xffffffff

// appendAckRecord appends the record for off in segment seg to dst; with
// end set, the record marks the end of a bad region.
func appendAckRecord(dst []byte, seg, off uint32, end bool) []byte {
	if end {
		seg ^= regionEndSalt
	}
	n := len(dst)
	dst = append(dst, make([]byte, 2*ackRecordSize)...)
	crc := ackCRC(dst[n+ackRecordSize:], seg, off)
	binary.LittleEndian.PutUint32(dst[n:n+4], off)
	binary.LittleEndian.PutUint32(dst[n+4:n+8], crc)
	return dst[:n+ackRecordSize]
}

// parseAckRecords adds the offsets of the valid records in b to acks, and
// the bad regions (a start record followed at once by an end record, as
// writeRegion writes them) to regions, start -> end. It resynchronizes byte
// by byte after a bad record, so one torn record (a failed write) does not
// hide the records after it.
func parseAckRecords(seg uint32, b []byte, acks map[uint32]struct{}, regions map[uint32]int64) {
	scratch := make([]byte, 8)
	prev := int64(-1) // the start record just before, if any
	for len(b) >= ackRecordSize {
		off := binary.LittleEndian.Uint32(b[0:4])
		switch binary.LittleEndian.Uint32(b[4:8]) {
		case ackCRC(scratch, seg, off):
			acks[off] = struct{}{}
			prev = int64(off)
		case ackCRC(scratch, seg^regionEndSalt, off):
			if prev >= 0 && int64(off) > prev {
				regions[uint32(prev)] = int64(off)
			}
			prev = -1
		default:
			b = b[1:]
			prev = -1
			continue
		}
		b = b[ackRecordSize:]
	}
}
