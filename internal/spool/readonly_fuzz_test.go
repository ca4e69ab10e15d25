package spool

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzScanner: a damaged segment never makes the Scanner panic or loop; it
// yields only frames whose payload passes its CRC, at growing positions
// inside the file, and ends.
func FuzzScanner(f *testing.F) {
	var seed []byte
	for i := range 3 {
		seed = appendFrame(seed, rec(i, 20+i))
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-5])
	f.Add(append(append([]byte{}, seed[:40]...), seed...))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		sc := NewScanner(nil, dir, Position{})
		defer sc.Close()
		last := Position{}
		for range len(data) + 1 {
			fr, ok, err := sc.Next(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return
			}
			pos := sc.Position()
			if !last.Less(pos) || pos.Offset > int64(len(data)) {
				t.Fatalf("position %v after %v (file of %d bytes)", pos, last, len(data))
			}
			h, ok := parseHeader(data[int64(uint32(fr.ID)):])
			if !ok || !h.payloadOK(fr.Payload) {
				t.Fatal("a frame that fails its checks was yielded")
			}
			last = pos
		}
		t.Fatal("the scanner did not end")
	})
}
