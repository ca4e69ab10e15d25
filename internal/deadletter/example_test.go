package deadletter_test

import (
	"fmt"
	"os"
	"time"

	"github.com/resilientsink/resilientsink/internal/deadletter"
)

// A batch the backend rejected is kept with why; a reader, later and in
// another process, reads it back and can resume from a checkpoint.
func Example() {
	dir, _ := os.MkdirTemp("", "deadletter-example")
	defer os.RemoveAll(dir)

	w, _ := deadletter.Open(deadletter.Settings{Dir: dir, MaxBytes: 1 << 20, Sync: true})
	_ = w.Write(deadletter.Letter{
		Signal: "logs", Reason: "permanent_error", Error: "HTTP 400: attribute too long",
		Arrived: time.Unix(100, 0), Dropped: time.Unix(160, 0), Attempts: 1, Items: 3,
		Payload: []byte("<OTLP request>"),
	})
	_ = w.Close()

	r := deadletter.NewReader(dir, deadletter.Position{})
	defer r.Close()
	l, ok, _ := r.Next()
	fmt.Println(ok, l.Reason, l.Items, "items,", l.Attempts, "attempt:", l.Error)
	fmt.Println("held", l.Dropped.Sub(l.Arrived), "payload", string(l.Payload))
	_, ok, _ = r.Next()
	fmt.Println("more:", ok)
	// Output:
	// true permanent_error 3 items, 1 attempt: HTTP 400: attribute too long
	// held 1m0s payload <OTLP request>
	// more: false
}
