package membudget_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/resilientsink/resilientsink/internal/membudget"
)

// A budget admits requests while they fit, rejects impossible ones, and
// makes a caller wait until bytes are released.
func Example() {
	b := membudget.New(100)
	fmt.Println(b.TryAcquire(60), b.InUse())
	fmt.Println(b.TryAcquire(60), b.InUse())

	err := b.Acquire(context.Background(), 101)
	fmt.Println(errors.Is(err, membudget.ErrTooLarge))

	granted := make(chan error)
	go func() { granted <- b.Acquire(context.Background(), 60) }()
	b.Release(60)
	fmt.Println(<-granted, b.InUse())
	b.Release(60)
	fmt.Println(b.InUse(), "of", b.Limit())
	// Output:
	// true 60
	// false 60
	// true
	// <nil> 60
	// 0 of 100
}
