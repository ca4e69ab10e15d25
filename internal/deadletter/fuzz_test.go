package deadletter

import (
	"bytes"
	"testing"
)

// FuzzDecodeEnvelope: damage never panics, and whatever decodes re-encodes
// to the same bytes (the decoder accepts nothing the encoder cannot write).
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, letter(3)))
	f.Add(appendEnvelope(nil, Letter{}))
	f.Add([]byte("RSDL\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l Letter
		if err := decodeEnvelope(b, &l); err != nil {
			return
		}
		if got := appendEnvelope(nil, l); !bytes.Equal(got, b) {
			t.Fatalf("re-encoding differs:\n got %q\nwant %q", got, b)
		}
	})
}
