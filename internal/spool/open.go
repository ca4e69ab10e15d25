package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File name suffixes in the folder.
const (
	segSuffix = ".seg"
	ackSuffix = ".ack"
)

// Open opens the spool in set.Dir, creating the folder if needed, and takes
// its lock: a second Open of the same folder, in this process or another,
// fails with an error that wraps ErrLocked and names the folder. Open then
// repairs the segments (see the package doc) and reports what it found to
// set.OnProblem before it returns. Damaged files never make Open fail: only
// bad settings, the lock, or a folder that cannot be created (including an
// fsync of the parent of a folder it created), locked or listed do. Open
// reads every frame header but no payload; Next checks the payloads as it
// reads them.
func Open(set Settings) (*Spool, error) {
	if set.Dir == "" {
		return nil, errors.New("spool: dir must not be empty")
	}
	if set.MaxBytes <= 0 {
		return nil, fmt.Errorf("spool: max bytes must be greater than 0, got %d", set.MaxBytes)
	}
	if set.SegmentBytes == 0 {
		set.SegmentBytes = DefaultSegmentBytes
	}
	if set.SegmentBytes < 0 || set.SegmentBytes > maxSegmentBytes {
		return nil, fmt.Errorf("spool: segment bytes must be between 1 and %d, got %d", maxSegmentBytes, set.SegmentBytes)
	}
	fsys := set.FS
	if fsys == nil {
		fsys = OSFS{}
	}
	if err := makeDir(fsys, set.Dir); err != nil {
		return nil, err
	}
	s := &Spool{set: set, fs: fsys, byNum: map[uint32]*segment{}, inflight: map[ID]frameMeta{}}
	lock, err := fsys.Lock(s.path(lockName))
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("spool folder %q is in use by another spool (in this process or another; give each its own folder): %w", set.Dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("lock spool folder %q: %w", set.Dir, err)
	}
	s.lock = lock
	probs, err := s.load()
	if err == nil {
		// The repair's removals, renames and ack files (best effort: if
		// they are lost to a power loss, the next Open repeats them).
		_ = s.syncDirIfDirty()
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.report(probs)
	return s, nil
}

// makeDir creates dir and its missing parents, and fsyncs the parent of
// each folder it created, so that the folders survive power loss.
func makeDir(fsys FS, dir string) error {
	var created []string // missing folders, deepest first
	for p := filepath.Clean(dir); ; {
		f, err := fsys.OpenFile(p, os.O_RDONLY, 0)
		if err == nil {
			_ = f.Close()
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break // MkdirAll says why
		}
		created = append(created, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	if err := fsys.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create spool folder %q: %w", dir, err)
	}
	for _, p := range created {
		if err := fsys.SyncDir(filepath.Dir(p)); err != nil {
			return fmt.Errorf("fsync folder %q: %w", filepath.Dir(p), err)
		}
	}
	return nil
}

// load finds the segments, repairs them and builds the index.
func (s *Spool) load() ([]Problem, error) {
	entries, err := s.fs.ReadDir(s.set.Dir)
	if err != nil {
		return nil, fmt.Errorf("list spool folder %q: %w", s.set.Dir, err)
	}
	var nums []uint32
	acks := map[uint32]bool{}
	maxNum := uint32(0)
	for _, e := range entries {
		name := e.Name()
		base, suffix, ok := strings.Cut(name, ".")
		n, err := strconv.ParseUint(base, 10, 32)
		if !ok || err != nil || len(base) != 10 {
			continue
		}
		maxNum = max(maxNum, uint32(n))
		switch "." + suffix {
		case segSuffix:
			nums = append(nums, uint32(n))
		case ackSuffix:
			acks[uint32(n)] = true
		}
	}
	slices.Sort(nums)
	s.nextNum = maxNum + 1
	var probs []Problem
	for _, num := range nums {
		delete(acks, num)
		probs = s.loadSegment(newSegment(s.set.Dir, num), probs)
	}
	for num := range acks { // acks of deleted segments
		_ = s.fs.Remove(newSegment(s.set.Dir, num).ackPath)
		s.dirDirty.Store(true)
	}
	for _, p := range probs {
		s.countLocked(p)
	}
	return probs, nil
}

// loadSegment walks one segment and adds it to the index, deletes it if
// nothing in it is pending, or moves it aside if it cannot be read.
func (s *Spool) loadSegment(seg *segment, probs []Problem) []Problem {
	f, err := s.fs.OpenFile(seg.path, os.O_RDONLY, 0)
	if err != nil {
		return append(probs, s.moveAside(seg, 0, fmt.Errorf("open: %w", err)))
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return append(probs, s.moveAside(seg, 0, fmt.Errorf("stat: %w", err)))
	}
	size := st.Size()
	known := s.readAcks(seg)
	var res walkResult
	if size > 0 {
		res, err = walk(&window{f: f}, 0, size, seg.skip, known)
	}
	_ = f.Close()
	if err != nil {
		return append(probs, s.moveAside(seg, size, err))
	}
	fresh, settled, garbage := sortRegions(seg, res.regions, known)
	if res.valid == 0 && garbage {
		// Not one frame: not a spool segment, or wholly damaged.
		return append(probs, s.moveAside(seg, size, errors.New("no valid frame")))
	}
	for _, r := range fresh {
		probs = append(probs, regionProblem(seg.path, r))
	}
	seg.size, seg.committed, seg.sealed = size, size, true
	seg.pend = res.pending
	if seg.pend.frames == 0 {
		s.ackMu.Lock()
		_ = s.deleteFiles(seg) // a failure leaves it for the next Open
		s.ackMu.Unlock()
		return probs
	}
	s.pending.add(res.pending)
	s.diskBytes += size
	s.segs = append(s.segs, seg)
	s.byNum[seg.num] = seg
	if len(fresh)+len(settled) > 0 { // report each region once, across restarts
		s.ackMu.Lock()
		for _, r := range slices.Concat(fresh, settled) {
			_ = s.writeRegion(seg, r.start, r.end) // else reported again next time
		}
		_ = s.closeAckFile(seg)
		s.ackMu.Unlock()
	}
	return probs
}

// sortRegions adds the regions walk found in seg to its jumps and sorts
// out the ones not recorded in its ack file (known: start -> end). fresh
// ones were never reported; garbage is set if one of them is not a torn
// tail. settled ones start at the offset of a frame already done (acked, or
// reported as a corrupt payload) whose header is damaged now: they lose
// nothing and are not reported, but must be recorded all the same, so that
// a later Open jumps over exactly that frame and reports damage after it
// as a region of its own instead of folding it into this one.
func sortRegions(seg *segment, regions []region, known map[uint32]int64) (fresh, settled []region, garbage bool) {
	for _, r := range regions {
		seg.jumps[uint32(r.start)] = r.end
		_, done := seg.skip[uint32(r.start)]
		_, recorded := known[uint32(r.start)]
		switch {
		case !done:
			fresh = append(fresh, r)
			garbage = garbage || !r.torn
		case !recorded:
			settled = append(settled, r)
		}
	}
	return fresh, settled, garbage
}

// moveAside renames a segment that cannot be used out of the way.
func (s *Spool) moveAside(seg *segment, size int64, cause error) Problem {
	p := Problem{Kind: ProblemMovedAside, Path: seg.path, Bytes: size, Err: cause}
	to := fmt.Sprintf("%s.corrupt-%d", seg.path, time.Now().Unix())
	if err := s.fs.Rename(seg.path, to); err != nil {
		p.Err = fmt.Errorf("%w; rename to %q: %w", cause, to, err)
		return p
	}
	p.Path = to
	_ = s.fs.Remove(seg.ackPath)
	s.dirDirty.Store(true)
	return p
}
