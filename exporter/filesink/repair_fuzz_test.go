package filesink

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzCompleteSize checks the repair cut against its definition: the kept
// prefix holds only whole records (in proto, none empty), and what is cut
// starts with no whole, well-formed record.
func FuzzCompleteSize(f *testing.F) {
	f.Add([]byte("{}\n{\"a\":1}\n{\"b"), false)
	f.Add([]byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 9, 'x'}, true)
	f.Add([]byte{0, 0}, true)
	f.Add([]byte{}, true)
	f.Add([]byte{0, 0, 0, 2, 0x08, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, true) // a zero-filled tail
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
			require.True(t, n == 0 || kept[n-1] == '\n', "kept part ends on a newline")
			cutLines := bytes.Count(cut, []byte("\n"))
			if cutLines > 0 {
				first, _, _ := bytes.Cut(cut, []byte("\n"))
				assert.False(t, validJSONLine(first), "a well-formed line was cut")
			}
			if n > 0 && cutLines < maxTailChecks {
				lines := bytes.Split(kept[:n-1], []byte("\n"))
				assert.True(t, validJSONLine(lines[len(lines)-1]), "the last kept line is well-formed")
			}
			return
		}
		var last []byte
		for len(kept) > 0 { // the kept part is a sequence of whole frames
			require.GreaterOrEqual(t, len(kept), 4)
			l := int(binary.BigEndian.Uint32(kept))
			require.GreaterOrEqual(t, len(kept)-4, l)
			require.NotZero(t, l, "an empty frame is never kept (the writer writes none)")
			last = kept[4 : 4+l]
			kept = kept[4+l:]
		}
		if last != nil && len(cut) == 0 {
			assert.True(t, wellFormedProto(last), "the last kept frame is well-formed")
		}
		if len(cut) >= 4 { // what is cut starts with a torn, empty or malformed frame
			l := int64(binary.BigEndian.Uint32(cut))
			torn := l > int64(len(cut)-4)
			assert.True(t, torn || l == 0 || !wellFormedProto(cut[4:4+l]), "a whole, well-formed frame was cut")
		}
	})
}

func validJSONLine(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
