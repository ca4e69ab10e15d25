package cbreaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
)

func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := cbreaker.New(cbreaker.Settings{
		FailureThreshold: 2,
		OpenTimeout:      time.Second,
		MaxOpenTimeout:   time.Minute,
		Now:              func() time.Time { return now },
		OnStateChange: func(from, to cbreaker.State) {
			fmt.Printf("%s -> %s\n", from, to)
		},
	})
	send := func(err error) {
		tok, allowErr := b.Allow()
		if allowErr != nil {
			fmt.Println("not sent:", allowErr)
			return
		}
		tok.Done(err) // report the result of the call
	}

	failure := errors.New("connection refused")
	send(failure)
	send(failure)
	send(nil)
	fmt.Println("retry at +", b.OpenUntil().Sub(now))

	now = now.Add(time.Second)
	send(failure) // the probe fails: the wait doubles
	fmt.Println("retry at +", b.OpenUntil().Sub(now))

	now = now.Add(2 * time.Second)
	send(nil)
	fmt.Println(b.State())
	// Output:
	// closed -> open
	// not sent: cbreaker: open
	// retry at + 1s
	// open -> half_open
	// half_open -> open
	// retry at + 2s
	// open -> half_open
	// half_open -> closed
	// closed
}
