// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import "unsafe"

// unsafeString views b as a string without copying. The caller must not
// modify b while the string is in use; here it is only read and copied into
// another buffer before b is reused.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
