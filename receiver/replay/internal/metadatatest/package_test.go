// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package metadatatest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks the generated telemetry tests leave no goroutine behind
// (mdatagen generates no TestMain for this package).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
