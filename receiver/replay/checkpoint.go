package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// checkpointVersion is the format of the checkpoint's JSON document.
const checkpointVersion = 1

// checkpoint is the progress of a replay.
type checkpoint struct {
	Version int    `json:"version"`
	Signal  string `json:"signal"`
	// Sources maps a source's absolute path to its progress.
	Sources map[string]*progress `json:"sources"`
}

// progress is where a source's replay stands.
type progress struct {
	// Segment and Offset: for a dead-letter folder, the spool position;
	// for a file, Offset is in the decompressed stream.
	Segment uint32 `json:"segment,omitempty"`
	Offset  int64  `json:"offset"`
	// Done: the file was fully replayed (and deleted, with on_done delete,
	// unless that failed).
	Done bool `json:"done,omitempty"`
	// Filtered: letters of a dead-letter folder were passed over (other
	// reasons or another signal), so on_done delete keeps its segments.
	Filtered bool `json:"filtered,omitempty"`
}

// The checkpoint file holds two slots of equal size (the file is two slots
// long); a save overwrites the older slot in place and fsyncs, one fsync
// (fdatasync) per batch and no rename. A slot: magic "RPCK", sequence (uint64), length
// of the JSON document (uint32), its CRC-32C, then the document, all
// little-endian. Load takes the valid slot with the higher sequence, so a
// save torn by a crash leaves the previous checkpoint. A document that
// outgrows the slots moves to a new file with bigger slots (written,
// fsynced, renamed over the old one).
const (
	slotHeader  = 20
	minSlotSize = 4096
)

var (
	slotMagic = [4]byte{'R', 'P', 'C', 'K'}
	crcTable  = crc32.MakeTable(crc32.Castagnoli)
)

// checkpointFile is the open checkpoint file.
type checkpointFile struct {
	path string
	f    *os.File
	slot int64  // slot size
	seq  uint64 // sequence of the newest slot
	buf  []byte
}

// openCheckpoint opens (creates) the file at path and loads it; a new file
// is a fresh start.
func openCheckpoint(path, signal string) (*checkpointFile, *checkpoint, error) {
	cp := &checkpoint{Version: checkpointVersion, Signal: signal, Sources: map[string]*progress{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	cf := &checkpointFile{path: path, f: f}
	if err := cf.load(cp); err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if cp.Version != checkpointVersion {
		_ = f.Close()
		return nil, nil, fmt.Errorf("checkpoint %q has version %d, want %d", path, cp.Version, checkpointVersion)
	}
	if cp.Signal != signal {
		_ = f.Close()
		return nil, nil, fmt.Errorf("checkpoint %q belongs to the %s replay, not %s: give each signal's replay receiver its own checkpoint", path, cp.Signal, signal)
	}
	if cp.Sources == nil {
		cp.Sources = map[string]*progress{}
	}
	return cf, cp, nil
}

// load reads the newest valid slot into cp; an empty file leaves cp as is.
func (cf *checkpointFile) load(cp *checkpoint) error {
	b, err := os.ReadFile(cf.path)
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	if len(b) == 0 {
		return nil
	}
	cf.slot = int64(len(b) / 2)
	var doc []byte
	for i := range int64(2) {
		if seq, d, ok := parseSlot(b[i*cf.slot : (i+1)*cf.slot]); ok && (doc == nil || seq > cf.seq) {
			cf.seq, doc = seq, d
		}
	}
	if doc == nil {
		return fmt.Errorf("checkpoint %q is damaged (no valid slot; delete it to replay everything again)", cf.path)
	}
	if err := json.Unmarshal(doc, cp); err != nil {
		return fmt.Errorf("checkpoint %q does not decode (delete it to replay everything again): %w", cf.path, err)
	}
	return nil
}

func parseSlot(s []byte) (seq uint64, doc []byte, ok bool) {
	if len(s) < slotHeader || [4]byte(s[:4]) != slotMagic {
		return 0, nil, false
	}
	n := int(binary.LittleEndian.Uint32(s[12:16]))
	if n > len(s)-slotHeader {
		return 0, nil, false
	}
	doc = s[slotHeader : slotHeader+n]
	if crc32.Checksum(doc, crcTable) != binary.LittleEndian.Uint32(s[16:20]) {
		return 0, nil, false
	}
	return binary.LittleEndian.Uint64(s[4:12]), doc, true
}

// save writes cp durably: over the older slot, or into a new file with
// bigger slots when it does not fit.
func (cf *checkpointFile) save(cp *checkpoint) error {
	doc, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	cf.seq++
	cf.buf = append(cf.buf[:0], slotMagic[:]...)
	cf.buf = binary.LittleEndian.AppendUint64(cf.buf, cf.seq)
	cf.buf = binary.LittleEndian.AppendUint32(cf.buf, uint32(len(doc)))
	cf.buf = binary.LittleEndian.AppendUint32(cf.buf, crc32.Checksum(doc, crcTable))
	cf.buf = append(cf.buf, doc...)
	if int64(len(cf.buf)) > cf.slot {
		return cf.grow()
	}
	_, err = cf.f.WriteAt(cf.buf, int64(cf.seq%2)*cf.slot)
	if err == nil {
		err = datasync(cf.f)
	}
	if err != nil {
		return fmt.Errorf("write checkpoint %q: %w", cf.path, err)
	}
	return nil
}

// grow writes cf.buf as the only valid slot of a new file with slots big
// enough, and renames it over the old file.
func (cf *checkpointFile) grow() error {
	slot := max(int64(minSlotSize), cf.slot)
	for slot < 2*int64(len(cf.buf)) {
		slot *= 2
	}
	tmp := cf.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	_, err = f.WriteAt(cf.buf, int64(cf.seq%2)*slot)
	if err == nil {
		err = f.Truncate(2 * slot)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, cf.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(cf.path))
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("write checkpoint %q: %w", cf.path, err)
	}
	_ = cf.f.Close()
	cf.f, cf.slot = f, slot
	return nil
}

// close closes the file.
func (cf *checkpointFile) close() error {
	return cf.f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
