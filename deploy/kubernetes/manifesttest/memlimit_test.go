// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGOMEMLIMIT(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "320MiB", want: 320 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1048576", want: 1 << 20},
		{in: "512KiB", want: 512 << 10},
		{in: "10B", want: 10},
		{in: "320Mi", wantErr: `GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got "320Mi"`},
		{in: "off", wantErr: `GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got "off"`},
		{in: "-1MiB", wantErr: `GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got "-1MiB"`},
		{in: "", wantErr: `GOMEMLIMIT must be bytes with an optional B, KiB, MiB, GiB or TiB suffix, got ""`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseGOMEMLIMIT(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
