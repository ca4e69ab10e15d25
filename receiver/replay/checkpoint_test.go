package replay

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Saves alternate between the two slots; a torn newest slot leaves the one
// before; a document that outgrows the slots moves to bigger ones.
func TestCheckpointSlots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp")
	cf, cp, err := openCheckpoint(path, "logs")
	require.NoError(t, err)
	for i := range 5 {
		cp.Sources["/a"] = &progress{Offset: int64(i)}
		require.NoError(t, cf.save(cp))
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, int64(2*minSlotSize), fi.Size(), "saves overwrite in place")
	require.NoError(t, cf.close())

	load := func() (*checkpoint, error) {
		lcf, lcp, lerr := openCheckpoint(path, "logs")
		if lerr == nil {
			require.NoError(t, lcf.close())
		}
		return lcp, lerr
	}
	got, err := load()
	require.NoError(t, err)
	assert.Equal(t, int64(4), got.Sources["/a"].Offset)

	// Tear the newest slot (sequence 5 is in slot 1).
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[minSlotSize+slotHeader+3] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o600))
	got, err = load()
	require.NoError(t, err)
	assert.Equal(t, int64(3), got.Sources["/a"].Offset, "the previous save")

	// Both slots damaged: Start must not silently replay everything again.
	b[slotHeader+3] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, err = load()
	require.EqualError(t, err, fmt.Sprintf("checkpoint %q is damaged (no valid slot; delete it to replay everything again)", path))

	require.NoError(t, os.Remove(path))
	cf, cp, err = openCheckpoint(path, "logs")
	require.NoError(t, err)
	for i := range 200 {
		cp.Sources["/"+strings.Repeat("x", 50)+fmt.Sprint(i)] = &progress{Offset: int64(i)}
	}
	require.NoError(t, cf.save(cp))
	cp.Sources["/a"] = &progress{Done: true}
	require.NoError(t, cf.save(cp))
	require.NoError(t, cf.close())
	got, err = load()
	require.NoError(t, err)
	assert.Len(t, got.Sources, 201)
	assert.True(t, got.Sources["/a"].Done)
}
