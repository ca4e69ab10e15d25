// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
)

// liveInstances numbers the live instances of each (processor ID, signal).
// The collector builds one instance per pipeline, so one ID used in two
// pipelines of the same signal makes two instances with the same processor
// and signal attributes; the second's processor attribute reads "<id>#2" (and
// so on), so that no two instances share a series and every series has the
// same two attributes. (An attribute named instance would clash with the
// label Prometheus gives every scraped target.)
var liveInstances = struct {
	sync.Mutex
	taken map[string]map[int]bool
}{taken: map[string]map[int]bool{}}

// instanceAttrs returns the telemetry attributes of a new instance, and the
// function that frees its number when it shuts down.
func instanceAttrs(id component.ID, signal string) ([]attribute.KeyValue, func()) {
	key := id.String() + "\x00" + signal
	liveInstances.Lock()
	taken := liveInstances.taken[key]
	if taken == nil {
		taken = map[int]bool{}
		liveInstances.taken[key] = taken
	}
	n := 0
	for taken[n] {
		n++
	}
	taken[n] = true
	liveInstances.Unlock()

	name := id.String()
	if n > 0 {
		name += "#" + strconv.Itoa(n+1)
	}
	attrs := []attribute.KeyValue{
		attribute.String("processor", name),
		attribute.String("signal", signal),
	}
	var once sync.Once
	return attrs, func() {
		once.Do(func() {
			liveInstances.Lock()
			defer liveInstances.Unlock()
			delete(taken, n)
			if len(taken) == 0 {
				delete(liveInstances.taken, key)
			}
		})
	}
}
