package otlpjson

// FuzzDifferential holds the encoder to pdata's own JSON marshaler. Its
// input is one signal byte (logs, traces or metrics, by value mod 3) and
// OTLP protobuf bytes; inputs pdata's proto unmarshaler refuses are skipped.
// For each decoded request it requires:
//   - AppendX's output to equal pdata's JSONMarshaler output byte for byte,
//     after normalizePdataJSON applies to pdata's output exactly the string
//     differences doc.go documents, and nothing else;
//   - both outputs to decode with pdata's JSONUnmarshaler, to the same data
//     (compared as proto bytes; strindex fields removed from pdata's output)
//     when pdata's output is valid UTF-8.
//
// Its seeds (empty-point metrics, the rich and telemetrygen fixtures of
// every signal) run in plain `go test`. To fuzz all three signals at once:
//
//	go test -run '^$' -fuzz '^FuzzDifferential$' -fuzztime 10m -fuzzminimizetime 200x -parallel 1 ./internal/otlpjson
//
// (-fuzzminimizetime bounds the minimizing of each new interesting input,
// 60s by default, during which the fuzzer makes no progress.)

import (
	"bytes"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// Signal selectors, the first byte of a FuzzDifferential input (mod 3).
const (
	diffLogs byte = iota
	diffTraces
	diffMetrics
)

func FuzzDifferential(f *testing.F) {
	seed := func(sig byte, pb []byte, err error) {
		require.NoError(f, err)
		f.Add(append([]byte{sig}, pb...))
	}
	lm, tm, mm := &plog.ProtoMarshaler{}, &ptrace.ProtoMarshaler{}, &pmetric.ProtoMarshaler{}
	for _, ld := range []plog.Logs{plog.NewLogs(), otlpfixtures.RichLogs(), otlpfixtures.TelemetrygenLogs(3), terminalLogs()} {
		pb, err := lm.MarshalLogs(ld)
		seed(diffLogs, pb, err)
	}
	for _, td := range []ptrace.Traces{ptrace.NewTraces(), otlpfixtures.RichTraces(), otlpfixtures.TelemetrygenTraces(3)} {
		pb, err := tm.MarshalTraces(td)
		seed(diffTraces, pb, err)
	}
	for _, md := range []pmetric.Metrics{emptyPointMetrics(), minimalMetrics(), otlpfixtures.RichMetrics(), otlpfixtures.TelemetrygenMetrics(3)} {
		pb, err := mm.MarshalMetrics(md)
		seed(diffMetrics, pb, err)
	}
	// A log record whose body is an AnyValue holding only
	// string_value_strindex (field 8) = 3, with one attribute that has only
	// key_strindex (field 3) = 2: the profiles-only fields doc.go names.
	record := []byte{0x2a, 0x02, 0x40, 0x03, 0x32, 0x02, 0x18, 0x02}
	scope := append([]byte{0x12, byte(len(record))}, record...)
	resource := append([]byte{0x12, byte(len(scope))}, scope...)
	seed(diffLogs, append([]byte{0x0a, byte(len(resource))}, resource...), nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		switch pb := in[1:]; in[0] % 3 {
		case diffLogs:
			diffLogsCase(t, pb)
		case diffTraces:
			diffTracesCase(t, pb)
		default:
			diffMetricsCase(t, pb)
		}
	})
}

func diffLogsCase(t *testing.T, pb []byte) {
	ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(pb)
	if err != nil {
		return
	}
	ours := AppendLogs(nil, ld)
	theirs, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	requireSameJSON(t, theirs, ours)
	u := &plog.JSONUnmarshaler{}
	fromOurs, err := u.UnmarshalLogs(ours)
	require.NoErrorf(t, err, "ours: %s", ours)
	fromTheirs, err := u.UnmarshalLogs(withoutStrindex(theirs))
	require.NoErrorf(t, err, "pdata's: %s", theirs)
	if utf8.Valid(theirs) {
		m := &plog.ProtoMarshaler{}
		wp, err := m.MarshalLogs(fromTheirs)
		require.NoError(t, err)
		gp, err := m.MarshalLogs(fromOurs)
		require.NoError(t, err)
		requireSameData(t, wp, gp, theirs, ours)
	}
}

func diffTracesCase(t *testing.T, pb []byte) {
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(pb)
	if err != nil {
		return
	}
	ours := AppendTraces(nil, td)
	theirs, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	requireSameJSON(t, theirs, ours)
	u := &ptrace.JSONUnmarshaler{}
	fromOurs, err := u.UnmarshalTraces(ours)
	require.NoErrorf(t, err, "ours: %s", ours)
	fromTheirs, err := u.UnmarshalTraces(withoutStrindex(theirs))
	require.NoErrorf(t, err, "pdata's: %s", theirs)
	if utf8.Valid(theirs) {
		m := &ptrace.ProtoMarshaler{}
		wp, err := m.MarshalTraces(fromTheirs)
		require.NoError(t, err)
		gp, err := m.MarshalTraces(fromOurs)
		require.NoError(t, err)
		requireSameData(t, wp, gp, theirs, ours)
	}
}

func diffMetricsCase(t *testing.T, pb []byte) {
	md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(pb)
	if err != nil {
		return
	}
	ours := AppendMetrics(nil, md)
	theirs, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	requireSameJSON(t, theirs, ours)
	u := &pmetric.JSONUnmarshaler{}
	fromOurs, err := u.UnmarshalMetrics(ours)
	require.NoErrorf(t, err, "ours: %s", ours)
	fromTheirs, err := u.UnmarshalMetrics(withoutStrindex(theirs))
	require.NoErrorf(t, err, "pdata's: %s", theirs)
	if utf8.Valid(theirs) {
		m := &pmetric.ProtoMarshaler{}
		wp, err := m.MarshalMetrics(fromTheirs)
		require.NoError(t, err)
		gp, err := m.MarshalMetrics(fromOurs)
		require.NoError(t, err)
		requireSameData(t, wp, gp, theirs, ours)
	}
}

// requireSameJSON requires ours to be valid single-line JSON equal to
// pdata's output once the documented differences are normalized.
func requireSameJSON(t *testing.T, theirs, ours []byte) {
	t.Helper()
	requireValidLine(t, ours)
	want := normalizePdataJSON(theirs)
	if string(want) == string(ours) {
		return
	}
	i := firstDiff(want, ours)
	from := max(0, i-80)
	t.Fatalf("output differs from pdata's at byte %d:\npdata: %q\nours:  %q\npdata's whole output: %s",
		i, want[from:min(len(want), i+80)], ours[from:min(len(ours), i+80)], theirs)
}

// requireSameData requires the data decoded from pdata's output and from
// ours to have the same proto encoding. It reports the JSON both came from
// rather than a diff, which testify takes minutes to compute for the large
// inputs a fuzzer makes.
func requireSameData(t *testing.T, wantProto, gotProto, theirs, ours []byte) {
	t.Helper()
	if bytes.Equal(wantProto, gotProto) {
		return
	}
	t.Fatalf("decoded data differs (proto byte %d)\nfrom pdata's JSON: %s\nfrom ours:         %s",
		firstDiff(wantProto, gotProto), theirs, ours)
}

func firstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// keyStrindex and stringValueStrindex match the profiles-only fields pdata
// writes and the encoder cannot (doc.go): KeyValue's keyStrindex, and an
// AnyValue holding only stringValueStrindex, which the encoder writes as
// an empty value. A '"' inside a JSON string is escaped, so neither
// pattern can match string contents.
var (
	keyStrindex         = regexp.MustCompile(`,"keyStrindex":-?[0-9]+`)
	stringValueStrindex = regexp.MustCompile(`\{"stringValueStrindex":-?[0-9]+\}`)
)

// withoutStrindex returns pdata's output without the strindex fields.
func withoutStrindex(in []byte) []byte {
	in = keyStrindex.ReplaceAll(in, nil)
	return stringValueStrindex.ReplaceAll(in, []byte("{}"))
}

// normalizePdataJSON rewrites pdata's JSON output the way doc.go says the
// encoder differs from it, and in no other way: strindex fields go; each
// byte of invalid UTF-8 becomes \ufffd, and each rune EscapesRune lists
// becomes its \uXXXX escape. Outside strings pdata writes only ASCII, so
// working on the whole output touches string contents only.
func normalizePdataJSON(in []byte) []byte {
	in = withoutStrindex(in)
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRune(in[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case EscapesRune(r):
			out = append(out, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			out = append(out, in[i:i+size]...)
		}
		i += size
	}
	return out
}

// terminalLogs has a body and attributes with every kind of string the
// encoder writes differently from pdata.
func terminalLogs() plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("red \u009b31m \x1b[0m \x9b1m \u202eevil\u202c \u2028 \xff\xfe")
	lr.Attributes().PutStr("bidi\u2066\u061c", "\u200e\u200f\u0085")
	return ld
}
