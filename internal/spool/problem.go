package spool

import "fmt"

// ProblemKind says what kind of damage a Problem reports.
type ProblemKind int

const (
	// ProblemCorruptFrame is a frame whose payload failed its CRC: it is
	// skipped, and its Items are known from its (valid) header.
	ProblemCorruptFrame ProblemKind = iota + 1
	// ProblemCorruptRegion is a stretch of bytes without a valid frame
	// header, followed by a valid frame: at least one frame lost, its items
	// unknown. It is skipped.
	ProblemCorruptRegion
	// ProblemTornTail is a segment that ends in a cut frame (a crash in the
	// middle of a write). The cut frame was never acknowledged by Append,
	// unless it sits in a segment an fsync had already covered.
	ProblemTornTail
	// ProblemMovedAside is a segment file that could not be read, or held
	// no frame at all: it was renamed to <name>.corrupt-<unix seconds> (or,
	// if even that failed, left in place and ignored) and is not replayed.
	ProblemMovedAside
)

func (k ProblemKind) String() string {
	switch k {
	case ProblemCorruptFrame:
		return "corrupt frame"
	case ProblemCorruptRegion:
		return "corrupt region"
	case ProblemTornTail:
		return "torn tail"
	case ProblemMovedAside:
		return "moved aside"
	}
	return fmt.Sprintf("problem kind %d", int(k))
}

// Problem is damage the spool found and worked around. Each is reported once:
// the spool records it in the segment's ack file, so a restart does not
// report it again (moved-aside files are gone from the folder's segments).
type Problem struct {
	Kind ProblemKind
	// Path is the segment file (for ProblemMovedAside, its new name, or
	// the old one if the rename failed).
	Path string
	// Offset is where the damage starts in the segment.
	Offset int64
	// Bytes is the size of the damaged frame, region or tail, or of the
	// whole file moved aside.
	Bytes int64
	// Frames and Items, for a problem found by Next, are exactly what it
	// takes out of the pending counts (Len, Unread): the frames the spool
	// had counted that Next will now never yield, and their items. The
	// caller keeping its own counts subtracts them. A corrupt frame is one
	// frame with the items of its header. A bad region found by Next counts
	// what it hid, and also any further damage later in the same segment
	// (a later region there may then report 0). Problems found at Open
	// report Frames 0 (what they destroyed was never counted; Len after
	// Open excludes it), and Items 0 except for the frames of a corrupt
	// payload, which only Next finds.
	Frames int
	Items  int64
	// Err is why a segment was moved aside (and why the rename failed, if
	// it did).
	Err error
}

// String describes the problem in one line.
func (p Problem) String() string {
	s := fmt.Sprintf("%s in %q at offset %d: %d bytes", p.Kind, p.Path, p.Offset, p.Bytes)
	if p.Frames > 0 || p.Items > 0 {
		s += fmt.Sprintf(", %d frames, %d items", p.Frames, p.Items)
	}
	if p.Err != nil {
		s += ": " + p.Err.Error()
	}
	return s
}

// countLocked adds p to the counters. Callers hold s.mu.
func (s *Spool) countLocked(p Problem) {
	switch p.Kind {
	case ProblemCorruptFrame:
		s.stats.CorruptFrames++
		s.stats.CorruptBytes += p.Bytes
		s.stats.CorruptItems += p.Items
	case ProblemCorruptRegion:
		s.stats.CorruptFrames++
		s.stats.CorruptBytes += p.Bytes
		s.stats.CorruptItems += p.Items
	case ProblemTornTail:
		s.stats.TornBytes += p.Bytes
	case ProblemMovedAside:
		s.stats.MovedAside++
	}
}

// report hands problems to Settings.OnProblem; no lock may be held.
func (s *Spool) report(probs []Problem) {
	if s.set.OnProblem == nil {
		return
	}
	for _, p := range probs {
		s.set.OnProblem(p)
	}
}

// regionProblem describes a bad region found at [start, end) of seg.
func regionProblem(path string, r region) Problem {
	k := ProblemCorruptRegion
	if r.torn {
		k = ProblemTornTail
	}
	return Problem{Kind: k, Path: path, Offset: r.start, Bytes: r.end - r.start}
}
