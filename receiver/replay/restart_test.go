package replay

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The checkpoint across restarts at random points: each life of the
// receiver is stopped while the pipeline holds a batch (the batch in
// flight); the next life resumes. Every batch is accepted exactly once, in
// order, across a dead-letter folder and two files, and the only batches
// handed over twice are the ones in flight at a stop, each then sent first.
func TestCheckpointAcrossRestarts(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			dir := t.TempDir()
			const total = 45
			writeLetters(t, filepath.Join(dir, "a-dead"), batches(0, 15, 2), "expired")
			writeFile(t, filepath.Join(dir, "b.json"), "json", "", batches(15, 30, 2))
			writeFile(t, filepath.Join(dir, "c.pb.zst"), "proto", "zstd", batches(30, total, 2))
			cfg := testConfig(t, filepath.Join(dir, "*"))
			want := wantBytes(t, batches(0, total, 2))

			var accepted [][]byte // in order, across lives
			var inFlight [][]byte // the batch held at each stop
			for life := 0; len(accepted) < total; life++ {
				require.Less(t, life, 100, "no progress")
				rec, hung := hangingRecorder(rng.IntN(8))
				r := start(t, cfg, rec, nil)
				remaining := total - len(accepted)
				require.Eventually(t, func() bool {
					select {
					case <-hung:
						return true
					default:
						return len(rec.calls()) == remaining
					}
				}, waitFor, tick)
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				require.NoError(t, r.Shutdown(ctx))
				cancel()
				calls := rec.calls()
				if len(inFlight) > 0 && len(calls) > 0 && life > 0 {
					assert.Equal(t, inFlight[len(inFlight)-1], calls[0], "life %d starts with the batch in flight at the stop", life)
				}
				select {
				case <-hung:
					inFlight = append(inFlight, calls[len(calls)-1])
					calls = calls[:len(calls)-1]
				default:
				}
				accepted = append(accepted, calls...)
			}
			require.Len(t, accepted, total)
			for i := range want {
				require.True(t, bytes.Equal(want[i], accepted[i]), "batch %d accepted out of order or changed", i)
			}
		})
	}
}

// hangingRecorder accepts batches until call number hangAt, which it holds
// (signalling hung) until the receiver gives up on it.
func hangingRecorder(hangAt int) (*recorder, <-chan struct{}) {
	hung := make(chan struct{})
	var once sync.Once
	return &recorder{fn: func(ctx context.Context, call int, _ plog.Logs) error {
		if call != hangAt {
			return nil
		}
		once.Do(func() { close(hung) })
		<-ctx.Done()
		return ctx.Err()
	}}, hung
}
