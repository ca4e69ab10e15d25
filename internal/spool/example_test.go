package spool_test

import (
	"fmt"
	"os"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// Frames survive a restart until they are acked; an acked frame does not
// come back.
func Example() {
	dir, _ := os.MkdirTemp("", "spool-example")
	defer os.RemoveAll(dir)
	set := spool.Settings{Dir: dir, MaxBytes: 1 << 20, Sync: true}

	s, _ := spool.Open(set)
	_, _ = s.Append(nil,
		spool.Record{Payload: []byte("first"), Items: 1},
		spool.Record{Payload: []byte("second"), Items: 2})
	f, _, _ := s.Next(nil)
	fmt.Println("delivered", string(f.Payload))
	_ = s.Ack(f.ID)
	_ = s.Close()

	s, _ = spool.Open(set) // a restart
	frames, _, items := s.Len()
	fmt.Println("pending after restart:", frames, "frame,", items, "items")
	for {
		f, ok, _ := s.Next(nil)
		if !ok {
			break
		}
		fmt.Println("replayed", string(f.Payload))
		_ = s.Ack(f.ID)
	}
	fmt.Println("segments left:", s.Stats().Segments) // the fully acked segment was deleted
	_ = s.Close()
	// Output:
	// delivered first
	// pending after restart: 1 frame, 2 items
	// replayed second
	// segments left: 0
}
