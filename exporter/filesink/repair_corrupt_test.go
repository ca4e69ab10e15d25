package filesink

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"
)

// TestStartRefusesAFileOfTheOtherFormat: a restart with the other format
// fails Start with an error naming the path and both formats, and leaves
// the file as it was (the old repair read `{"re` as a 2 GB frame length and
// truncated a json file to 0 bytes; a proto file read as json was cut at its
// last 0x0a byte).
func TestStartRefusesAFileOfTheOtherFormat(t *testing.T) {
	for _, tt := range []struct{ found, configured Format }{
		{FormatJSON, FormatProto},
		{FormatProto, FormatJSON},
	} {
		t.Run(string(tt.found)+" file opened as "+string(tt.configured), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs.out")
			content := cat(logsRecord(t, tt.found, 2), logsRecord(t, tt.found, 3))
			require.NoError(t, os.WriteFile(path, content, 0o600))
			_, err := openWriter(writerSettings{path: path, format: tt.configured, durability: DurabilityFlushed, mode: 0o600},
				defaultFileSystem(), zap.NewNop(), nil)
			require.EqualError(t, err, ``+quote(path)+` holds `+string(tt.found)+` records, but format is `+
				string(tt.configured)+`: set format: `+string(tt.found)+` or use another path`)
			assert.Equal(t, content, mustRead(t, path), "the file is untouched")
		})
	}
}

func TestStartRefusesAForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs.out")
	content := []byte("Nov 28 19:00:00 host sshd[1]: hello\n")
	require.NoError(t, os.WriteFile(path, content, 0o600))
	for _, f := range []Format{FormatJSON, FormatProto} {
		_, err := openWriter(writerSettings{path: path, format: f, durability: DurabilityFlushed, mode: 0o600},
			defaultFileSystem(), zap.NewNop(), nil)
		require.EqualError(t, err, quote(path)+` holds neither json nor proto records (it starts with "Nov 28 19"): refusing to append to it`)
		assert.Equal(t, content, mustRead(t, path))
	}
}

func quote(s string) string { return `"` + s + `"` }

// TestCorruptionBeforeTheTailIsMovedAside: a corrupt record followed by more
// data is not a torn tail. Everything from it on is moved to
// <path>.corrupt-<time>, never cut, and the records before it stay.
func TestCorruptionBeforeTheTailIsMovedAside(t *testing.T) {
	jsonRec := logsRecord(t, FormatJSON, 2)
	protoRec := logsRecord(t, FormatProto, 2)
	// A frame whose header was damaged: it claims to run past the end of the file.
	badHeader := cat(binary.BigEndian.AppendUint32(nil, 1<<20), protoRec[4:])
	tests := []struct {
		name   string
		format Format
		good   []byte
		rest   []byte
	}{
		{name: "proto length past eof in the middle", format: FormatProto, good: protoRec, rest: cat(badHeader, protoRec, protoRec)},
		{name: "proto zero header then data", format: FormatProto, good: protoRec, rest: cat(make([]byte, 8), protoRec)},
		{name: "proto malformed frame then data", format: FormatProto, good: protoRec, rest: cat([]byte{0, 0, 0, 3, 0xff, 0xff, 0xff}, protoRec)},
		{name: "proto frame of stale bytes at the end", format: FormatProto, good: protoRec, rest: []byte{0, 0, 0, 3, 0xff, 0xff, 0xff}},
		{name: "proto json appended", format: FormatProto, good: protoRec, rest: cat(jsonRec, jsonRec)},
		{name: "proto absurd length", format: FormatProto, good: protoRec, rest: []byte{0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01}},
		{name: "json zero-filled line then data", format: FormatJSON, good: jsonRec, rest: cat(make([]byte, 300), []byte("\n"), jsonRec)},
		{name: "json zero-filled line at the end", format: FormatJSON, good: jsonRec, rest: append(make([]byte, 300), '\n')},
		{name: "json stale line then a torn one", format: FormatJSON, good: jsonRec, rest: cat(jsonRec[:100], []byte("\n"), jsonRec[:50])},
		{name: "json proto appended", format: FormatJSON, good: jsonRec, rest: cat(protoRec, protoRec)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "logs.out")
			require.NoError(t, os.WriteFile(path, cat(tt.good, tt.rest), 0o600))
			core, logs := zapobserver.New(zapcore.WarnLevel)
			clk := newFakeClock()
			fs := defaultFileSystem()
			fs.now = clk.Now
			w, err := openWriter(writerSettings{path: path, format: tt.format, durability: DurabilitySynced, mode: 0o600},
				fs, zap.New(core), nil)
			require.NoError(t, err)
			rec := logsRecord(t, tt.format, 1)
			require.NoError(t, w.write(context.Background(), rec, nil))
			require.NoError(t, w.close(context.Background(), nil))

			assert.Equal(t, cat(tt.good, rec), mustRead(t, path), "records before the corruption kept, new record appended")
			aside := path + ".corrupt-2026-11-26T22-30-00.000"
			assert.Equal(t, tt.rest, mustRead(t, aside), "the rest moved aside whole")
			fi, err := os.Stat(aside)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			require.Equal(t, 1, logs.Len())
			entry := logs.All()[0]
			assert.Equal(t, "Moved the end of the file aside: it follows a corrupt record", entry.Message)
			assert.Equal(t, path, entry.ContextMap()["path"])
			assert.Equal(t, aside, entry.ContextMap()["moved_to"])
			assert.Equal(t, int64(len(tt.good)), entry.ContextMap()["offset"])
			assert.Equal(t, int64(len(tt.rest)), entry.ContextMap()["bytes_moved"])
		})
	}
}

// TestJSONLineWithoutNewlineIsCompleted: a whole, valid last line whose
// newline did not reach the file is kept and completed, not cut.
func TestJSONLineWithoutNewlineIsCompleted(t *testing.T) {
	rec := logsRecord(t, FormatJSON, 2)
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	require.NoError(t, os.WriteFile(path, cat(rec, rec[:len(rec)-1]), 0o600))
	w := testWriter(t, writerSettings{path: path}, fileSystem{})
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, cat(rec, rec), mustRead(t, path))
}

// TestAsideNameIsUnique: a second corruption at the same time gets a new name.
func TestAsideNameIsUnique(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs.jsonl")
	require.NoError(t, os.WriteFile(path+".corrupt-2026-11-26T22-30-00.000", []byte("old"), 0o600))
	rec := logsRecord(t, FormatJSON, 1)
	require.NoError(t, os.WriteFile(path, cat(rec, []byte("garbage\n"), rec), 0o600))
	clk := newFakeClock()
	w := testWriter(t, writerSettings{path: path}, fileSystem{now: clk.Now})
	require.NoError(t, w.close(context.Background(), nil))
	assert.Equal(t, []byte("old"), mustRead(t, path+".corrupt-2026-11-26T22-30-00.000"))
	assert.Equal(t, cat([]byte("garbage\n"), rec), mustRead(t, path+".corrupt-2026-11-26T22-30-00.000-1"))
	assert.Equal(t, rec, mustRead(t, path))
}
