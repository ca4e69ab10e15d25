package ringqueue_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/resilientsink/resilientsink/internal/ringqueue"
)

// A full queue refuses new items; the caller evicts the oldest to make room,
// requeues a failed item at the head, and drains after Close.
func Example() {
	q := ringqueue.New[string](2)
	_ = q.TryPush("a")
	_ = q.TryPush("b")
	if err := q.TryPush("c"); errors.Is(err, ringqueue.ErrFull) {
		oldest, _ := q.TryPop()
		fmt.Println("evicted", oldest)
		_ = q.TryPush("c")
	}
	item, _ := q.Pop(context.Background())
	fmt.Println("processing", item, "failed; requeue")
	_ = q.PushFront(item)

	q.Close()
	for {
		item, err := q.Pop(context.Background())
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println("drained", item)
	}
	// Output:
	// evicted a
	// processing b failed; requeue
	// drained b
	// drained c
	// ringqueue: closed
}
