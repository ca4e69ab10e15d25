package filesink

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzCompleteSize checks the repair cut against its definition: the kept
// prefix holds only whole records, and what is cut holds no whole record.
func FuzzCompleteSize(f *testing.F) {
	f.Add([]byte("{}\n{\"a\":1}\n{\"b"), false)
	f.Add([]byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 9, 'x'}, true)
	f.Add([]byte{0, 0}, true)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, data []byte, proto bool) {
		format := FormatJSON
		if proto {
			format = FormatProto
		}
		n, err := completeSize(bytes.NewReader(data), int64(len(data)), format)
		require.NoError(t, err)
		require.GreaterOrEqual(t, n, int64(0))
		require.LessOrEqual(t, n, int64(len(data)))
		kept, cut := data[:n], data[n:]
		if !proto {
			assert.True(t, n == 0 || kept[n-1] == '\n', "kept part ends on a newline")
			assert.NotContains(t, string(cut), "\n", "no complete line is cut")
			return
		}
		for len(kept) > 0 { // the kept part is a sequence of whole frames
			require.GreaterOrEqual(t, len(kept), 4)
			l := int(binary.BigEndian.Uint32(kept))
			require.GreaterOrEqual(t, len(kept)-4, l)
			kept = kept[4+l:]
		}
		if len(cut) >= 4 { // what is cut starts with a frame that runs past the end
			assert.Greater(t, int64(binary.BigEndian.Uint32(cut)), int64(len(cut)-4))
		}
	})
}
