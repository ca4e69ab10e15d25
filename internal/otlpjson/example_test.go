package otlpjson_test

import (
	"fmt"
	"os"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/resilientsink/resilientsink/internal/otlpjson"
)

// Example writes one OTLP/JSON export request per line, reusing one buffer
// so that steady-state encoding does not allocate.
func Example() {
	var buf []byte
	for i := range 2 {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr(fmt.Sprintf("hello %d", i))
		lr.Attributes().PutInt("attempt", int64(i))

		buf = otlpjson.AppendLogs(buf[:0], ld)
		buf = append(buf, '\n')
		_, _ = os.Stdout.Write(buf)
	}
	// Output:
	// {"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"severityNumber":9,"body":{"stringValue":"hello 0"},"attributes":[{"key":"attempt","value":{"intValue":"0"}}]}]}]}]}
	// {"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"severityNumber":9,"body":{"stringValue":"hello 1"},"attributes":[{"key":"attempt","value":{"intValue":"1"}}]}]}]}]}
}
