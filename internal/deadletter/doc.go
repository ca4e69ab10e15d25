// Package deadletter stores dead letters: batches the resilientsink processor
// gave up on, kept with why, so they can be replayed once the cause is fixed.
// A Writer appends letters to a folder that is an internal/spool spool (the
// same CRC-checked frames as the persistence tier, with a byte budget); a
// Reader iterates the letters of a folder from a checkpointable Position,
// read-only, while a Writer may still be appending. The package uses only the
// standard library and internal/spool.
//
// # Layout
//
// The folder is a spool folder (see internal/spool): segment files
// 0000000001.seg, ... of frames, a LOCK file held by the Writer, and ack files
// the Writer never writes (except for damage its repair at Open records). Each
// frame is one letter: the frame header's items field holds the letter's item
// count and its time field the drop time (unix nanoseconds); its payload is
// an envelope, integers little-endian:
//
//	offset size field
//	0      4    magic "RSDL"
//	4      1    envelope version (1)
//	5      1    signal length s (at most 16), then s bytes: traces, metrics, logs
//	.      2    reason length r (at most 256), then r bytes
//	.      2    error length e (at most 1024), then e bytes: the last error text
//	.      8    arrival time (int64 unix nanoseconds)
//	.      4    attempts (uint32)
//	.      .    the rest: the OTLP protobuf export request
//
// The frame's payload CRC covers the envelope, so a damaged letter is found
// and skipped, never half-trusted. A reader meeting an envelope version it
// does not know reports the letter as damaged.
//
// Nothing acks a dead letter, so the spool never frees its budget by
// itself; a replay that deletes replayed segment files gives it back: a
// Write that finds the budget full counts the folder afresh (at most once a
// second of drop time).
package deadletter
