package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"encoding/binary"
	"fmt"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/otlpfile"
	"github.com/resilientsink/resilientsink/internal/otlpjson"
)

// Records are built in dst: json is the OTLP/JSON request and a newline,
// proto a 4-byte big-endian length and the OTLP protobuf request. The whole
// record then goes to the file in one write.

func appendLogsRecord(dst []byte, f Format, ld plog.Logs) ([]byte, error) {
	if f == FormatProto {
		b, _ := protoLogs.MarshalLogs(ld)
		return appendFrame(dst, b)
	}
	return append(appendLogsJSON(dst, ld), '\n'), nil
}

func appendTracesRecord(dst []byte, f Format, td ptrace.Traces) ([]byte, error) {
	if f == FormatProto {
		b, _ := protoTraces.MarshalTraces(td)
		return appendFrame(dst, b)
	}
	return append(appendTracesJSON(dst, td), '\n'), nil
}

func appendMetricsRecord(dst []byte, f Format, md pmetric.Metrics) ([]byte, error) {
	if f == FormatProto {
		b, _ := protoMetrics.MarshalMetrics(md)
		return appendFrame(dst, b)
	}
	return append(appendMetricsJSON(dst, md), '\n'), nil
}

var (
	protoLogs    = &plog.ProtoMarshaler{}
	protoTraces  = &ptrace.ProtoMarshaler{}
	protoMetrics = &pmetric.ProtoMarshaler{}
)

// maxFrameBytes is the largest proto request written (1 GiB). Start-up
// repair reads a larger frame length as corruption, never as a torn frame,
// so a damaged header cannot make it cut more than this.
// It is the readers' limit too (internal/otlpfile).
const maxFrameBytes = otlpfile.MaxFrameBytes

func appendFrame(dst, msg []byte) ([]byte, error) {
	if len(msg) > maxFrameBytes {
		return dst, consumererror.NewPermanent(fmt.Errorf("request of %d bytes is larger than the largest proto frame (%d bytes)", len(msg), maxFrameBytes))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(msg)))
	return append(dst, msg...), nil
}

// appendLogsJSON appends one OTLP/JSON request without a newline.
func appendLogsJSON(dst []byte, ld plog.Logs) []byte { return otlpjson.AppendLogs(dst, ld) }

// appendTracesJSON appends one OTLP/JSON request without a newline.
func appendTracesJSON(dst []byte, td ptrace.Traces) []byte { return otlpjson.AppendTraces(dst, td) }

// appendMetricsJSON appends one OTLP/JSON request without a newline.
func appendMetricsJSON(dst []byte, md pmetric.Metrics) []byte { return otlpjson.AppendMetrics(dst, md) }
