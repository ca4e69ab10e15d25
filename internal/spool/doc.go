// Package spool is a log of byte frames on disk: Append writes records at the
// tail of segment files, Next reads them back oldest first, Ack marks them
// delivered in any order, and a segment file is deleted once every frame in
// it is acked. It is the disk tier of the resilientsink processor's queue;
// the processor puts one OTLP protobuf export request in each frame, so every
// frame's payload decodes with pdata's proto unmarshaler on its own. The
// package uses only the standard library.
//
// # Files
//
// One Spool owns one folder, locked with flock(2) on the file LOCK (a second
// Open of the folder, in this process or another, fails and names it):
//
//	LOCK                      the lock file (empty)
//	0000000001.seg            segment files: frames, appended; numbered in order
//	0000000001.ack            ack records of that segment (absent until one is acked)
//	0000000001.seg.corrupt-<unix seconds>   a segment moved aside (never read again)
//
// A segment file is a sequence of frames. A frame is a 28-byte header and the
// payload; integers are little-endian:
//
//	offset size field
//	0      4    magic "RSP" and format version 0x01
//	4      4    payload length n (uint32, at most 1 GiB)
//	8      4    items (uint32, caller metadata: the processor's item count)
//	12     8    time (int64, caller metadata: unix nanoseconds)
//	20     4    CRC-32C (Castagnoli) of the payload
//	24     4    CRC-32C of bytes 0..23: the header CRC, which also covers
//	            the payload CRC
//	28     n    payload
//
// Two CRCs instead of one over everything: a valid header can be trusted on
// its own (its length says where the next frame starts and its items count
// what a corrupt payload loses), and a region whose header is damaged can be
// skipped by searching for the next magic with a valid header CRC.
//
// An ack file is a sequence of 8-byte records: the frame's offset in the
// segment (uint32) and the CRC-32C of the segment number and that offset
// (each uint32, 8 bytes). A reported bad region is recorded the same way at
// its start, plus a record of its end whose CRC is taken over the segment
// number XOR 0xffffffff. A torn or damaged record fails its CRC and is
// skipped; at worst its frame is read again after a restart.
//
// Frame IDs (type ID) are the segment number in the high 32 bits and the
// frame's offset in the low 32 bits, so they grow in append order.
//
// # Writing
//
// Append encodes its records into a reused buffer and writes them with one
// write(2) under a mutex, so appends are sequential and a frame is never
// interleaved with another. With Settings.Sync, Append then waits for an
// fsync: concurrent Appends share one (group commit, as in exporter/filesink),
// so N producers cost about two fsyncs per round instead of N. Frames become
// visible to Next and Len only once committed (fsynced with Sync, written
// without it).
//
// A failed write (disk full, I/O error, short write) returns the error and
// cuts the segment back to where the write began; if even that fails, the
// bytes of the failed write are recorded as a bad region in the segment's ack
// file (so neither Next nor a restart yields a frame from them), the segment
// is sealed and the next Append starts a new one, so no torn frame sits
// before later frames. A failed fsync fails every write it may not have made
// durable (Linux can drop the dirty pages of a failed fsync, so a later good
// fsync proves nothing for them). Linux reports such an error to one fsync
// of the file only, so the spool keeps it on the segment: whichever fsync of
// the file sees it (a group commit's, a seal's at a roll or Close, or
// Spool.Sync's), every write to that file not yet committed fails, and later
// Appends to it too until it is sealed. The failed writes are cut off the
// segment they were written to (or, if that fails, recorded as a bad region)
// and the segment is sealed. What an Append was refused is never yielded by
// Next, now or after a restart; the one exception is a volume failing so
// badly that even the ack record cannot be written: the refused frames may
// then come back once after a restart (at-least-once, as the caller retried
// them). Appends past Settings.MaxBytes fail with ErrFull and write nothing.
//
// Without Sync, segments sealed since the last Spool.Sync wait in a list for
// it; a segment leaves the list when it is deleted, so the list never holds
// more than the live segments.
//
// # Durability
//
//   - An Append that returned nil with Sync survives SIGKILL and power loss;
//     without Sync it survives SIGKILL (the bytes are in the page cache), and
//     power loss once Spool.Sync has returned (one fsync per segment file,
//     run at the same time: the way to spill a full memory queue at Shutdown).
//   - An Ack survives SIGKILL once it returns (one write(2) of its record);
//     it survives power loss after Spool.Sync, or after Close with Sync,
//     which fsyncs the ack files. An ack lost to power loss yields its frame once more after the
//     restart: delivery is at-least-once, never at-most-once.
//   - Frames handed out by Next and not acked are pending again after a
//     restart.
//   - Folders: Open fsyncs the parent of every folder it creates. With Sync,
//     the folder is fsynced after a segment is created or deleted (before
//     the Append or Ack that did it returns), after Open's repair removed,
//     renamed or created files, and by Spool.Sync and Close, which covers
//     the ack files created since. Without Sync, Spool.Sync does it.
//
// # Repair at Open
//
// Open never truncates or rewrites a segment; it starts a new segment for new
// appends, so good data is never cut. It walks every frame header (not the
// payloads, which Next checks as it reads them) and works around damage:
//
//   - A torn tail (the last frame runs past the end of the file, or fewer
//     bytes than a header are left, or the file ends in zeros: after a
//     power loss ext4 can leave a file's size extended over blocks never
//     written, which read as zeros): skipped, reported as ProblemTornTail.
//     Only frames at or after the cut point are lost.
//   - A frame whose header is damaged: the bytes up to the next valid frame
//     are skipped, reported as ProblemCorruptRegion (one frame, items unknown).
//     If that frame was done already (acked, or reported as a corrupt
//     payload) nothing is lost and nothing reported, but the region is
//     recorded all the same, so that damage after it later is a region of
//     its own, reported, not folded into the done frame's.
//   - A frame whose payload fails its CRC: skipped by Next, reported as
//     ProblemCorruptFrame with its item count, so the caller can count the
//     items as dropped.
//   - A segment that cannot be opened or read, or holds no frame at all:
//     renamed to <name>.corrupt-<unix seconds> and reported as
//     ProblemMovedAside.
//
// Each problem is reported once, through Settings.OnProblem, and counted in
// Stats: its offset (and a region's end) is written to the segment's ack
// file, so a restart skips it silently. A damaged file never makes Open fail.
//
// # Damage while running
//
// Next checks every payload, and finds damage done to a file after Open: a
// frame whose payload fails its CRC (ProblemCorruptFrame), a bad header
// (ProblemCorruptRegion, or ProblemTornTail at the committed end), or a
// segment it cannot read any more, because of a read error or because the
// file vanished: that segment is moved aside as Open does
// (ProblemMovedAside) and Next goes on with the next one, so a bad file never
// stalls the reader and Next never returns the same error forever. Frames of
// a moved-aside segment in flight stay in flight until acked. If even the
// rename fails, the file stays in place (and is read again after a restart,
// if it can be).
//
// The caller can keep exact counts: each Problem reported by Next carries
// the frames and items it takes out of the pending counts (Problem.Frames,
// Problem.Items). The spool keeps per-segment counts of its pending and in
// flight frames, so it knows what Next has yet to yield from a segment; what
// a region or a moved-aside segment hides is that figure minus what is left
// to read after it. So at every moment: Len after Open + everything appended
// = yielded by Next (or appended Held) + reported by Next's problems +
// Unread, and Len = that minus what was acked. OnProblem runs with no lock of
// the Spool held, on the goroutine of Open or Next.
//
// # Why our own segment log
//
// The alternatives were weighed on speed and on crash guarantees.
//
// nsqio/go-diskqueue writes 4-byte length-prefixed messages with no checksum
// through one goroutine, and fsyncs every SyncEvery messages or SyncTimeout;
// Put does not wait for an fsync, so "accepted" does not mean durable, and
// there is no way to share one fsync among waiting producers. Reading moves
// the read position forward when a message is handed out: there is no ack,
// so a message in flight at a crash is lost once the metadata file is synced.
// A read error renames the whole current file to .bad and jumps to the next
// file, dropping its good messages too, and a flipped byte inside a message
// goes unnoticed.
//
// tidwall/wal writes uvarint length-prefixed entries, also without a
// checksum, and fsyncs on every Write or WriteBatch while holding its mutex
// (no group commit across callers). A torn last entry makes Open fail with
// ErrCorrupt until someone repairs the file by hand. Entries must be written
// with consecutive indexes and are reclaimed only from the front
// (TruncateFront, which rewrites the segment), so out-of-order acks from
// several workers do not fit, and it loads whole segments into memory to read.
//
// The collector's storage extension API with contrib's file_storage keeps
// each queued request as a key in a bbolt B+tree, plus index keys, each
// update a copy-on-write transaction (several random page writes). Its fsync
// is off by default, which is why the issue reports bbolt files corrupted by
// power loss; with fsync on, every transaction pays its own fsync. Freed
// pages are reclaimed only by compaction, and a corrupt database stops the
// extension unless recreate deletes everything.
//
// This log appends sequentially, shares fsyncs among concurrent producers,
// allocates nothing per Append, Next or Ack in steady state, and reads lazily
// through one 64 KiB window. Every frame carries its own CRCs; a torn tail is
// skipped (not cut, so nothing good is ever truncated); a corrupt frame is
// skipped and counted with its items, never hiding the frames after it; an
// unreadable file is moved aside, never fatal. Its framing, group commit,
// repair and fault-injecting file system follow exporter/filesink, which the
// package does not import. BENCHMARKS.md has the numbers against the raw disk
// and against an fsync-per-append log.
package spool
