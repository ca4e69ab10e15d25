package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/resilientsink/resilientsink/internal/deadletter"
)

// With poll_interval, the receiver follows a dead-letter folder a writer
// keeps appending to, a growing file, and files that appear later.
func TestPollFollowsNewData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		dead := filepath.Join(dir, "dead")
		w, err := deadletter.Open(deadletter.Settings{Dir: dead, MaxBytes: 1 << 20})
		require.NoError(t, err)
		defer w.Close()
		letter := func(i int) {
			ld := logsBatch(i, 1)
			require.NoError(t, w.Write(deadletter.Letter{Signal: "logs", Reason: "expired", Items: 1, Payload: protoBytes(t, ld)}))
		}
		letter(0)
		writeFile(t, filepath.Join(dir, "logs-a.json"), "json", "", batches(1, 2, 1))
		cfg := testConfig(t, dead, filepath.Join(dir, "logs-*"))
		cfg.PollInterval = time.Minute
		rec := &recorder{}
		r := start(t, cfg, rec, nil)
		<-rec.reached(2)

		letter(2) // the writer still holds the folder
		f, err := os.OpenFile(filepath.Join(dir, "logs-a.json"), os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		tmp := filepath.Join(t.TempDir(), "x.json")
		writeFile(t, tmp, "json", "", batches(3, 4, 1))
		line, err := os.ReadFile(tmp)
		require.NoError(t, err)
		_, err = f.Write(line)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		writeFile(t, filepath.Join(dir, "logs-b.pb.gz"), "proto", "gzip", batches(4, 5, 1))
		began := time.Now()
		<-rec.reached(5)
		assert.Equal(t, time.Minute, time.Since(began), "found at the next poll")
		// The growing file may be read on in the same pass: order across
		// sources is not fixed, each batch comes once.
		assert.ElementsMatch(t, wantBytes(t, batches(0, 5, 1)), rec.calls())
		require.NoError(t, r.Shutdown(context.Background()))
	})
}
