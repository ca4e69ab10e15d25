//go:build race

package ringqueue

// raceEnabled: under the race detector sync.Pool drops a random share of the
// records put back (on purpose, to expose misuse), so parking allocates now
// and then; the wait-path allocation tests check zero allocations only
// without it (make unit-test runs them both ways).
const raceEnabled = true
