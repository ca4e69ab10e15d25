package deadletter

import (
	"fmt"
	"path/filepath"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// Position is a place in a dead-letter folder, to checkpoint and resume
// from; the zero Position is the start.
type Position = spool.Position

// Reader iterates the letters of a folder in the order they were written,
// from a Position, read-only: it takes no lock and writes nothing, so it
// may read a folder a Writer is appending to. Damaged frames and letters
// whose envelope does not decode are skipped and reported to OnProblem. It
// is not safe for concurrent use. The zero Reader is not usable; use
// NewReader.
type Reader struct {
	// OnProblem, if set, is told about each damaged frame, region or
	// envelope skipped (a bad envelope is a ProblemCorruptFrame whose Err
	// wraps ErrBadEnvelope).
	OnProblem func(spool.Problem)

	sc  *spool.Scanner
	buf []byte
}

// NewReader returns a Reader of the folder dir that starts at from.
// Nothing is opened before the first Next.
func NewReader(dir string, from Position) *Reader {
	r := &Reader{sc: spool.NewScanner(nil, dir, from)}
	r.sc.OnProblem = r.problem
	return r
}

func (r *Reader) problem(p spool.Problem) {
	if r.OnProblem != nil {
		r.OnProblem(p)
	}
}

// Next returns the next letter and moves past it; ok is false when there is
// none right now. The letter's Payload is valid until the next call. A read
// error leaves the position unchanged.
func (r *Reader) Next() (l Letter, ok bool, err error) {
	for {
		f, ok, err := r.sc.Next(r.buf)
		if err != nil || !ok {
			return Letter{}, false, err
		}
		r.buf = f.Payload
		if err := decodeEnvelope(f.Payload, &l); err != nil {
			off := int64(uint32(f.ID))
			r.problem(spool.Problem{
				Kind: spool.ProblemCorruptFrame, Path: filepath.Join(r.sc.Dir(), fmt.Sprintf("%010d.seg", f.ID>>32)),
				Offset: off, Bytes: r.sc.Position().Offset - off, Items: int64(f.Items), Err: err,
			})
			continue
		}
		l.Items = int(f.Items)
		l.Dropped = fromUnixNano(f.Time)
		return l, true, nil
	}
}

// Position returns where the next Next starts: just after the last letter
// returned.
func (r *Reader) Position() Position { return r.sc.Position() }

// Remaining returns the letters, items and bytes on disk (frame headers
// included) after the position, counted from the frame headers alone.
func (r *Reader) Remaining() (letters, items, bytes int64, err error) {
	return spool.Count(nil, r.sc.Dir(), r.sc.Position())
}

// Close closes the open file. The Reader may be used again.
func (r *Reader) Close() error { return r.sc.Close() }
