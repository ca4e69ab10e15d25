// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRuleEvaluatorFor: an alert fires only once its expression has held at
// every evaluation for For; a gap resets it, as in Prometheus.
func TestRuleEvaluatorFor(t *testing.T) {
	st := &MemStore{}
	t0 := time.Unix(1_700_000_000, 0)
	ls := labels.FromStrings("__name__", "g", "job", "j")
	values := []float64{2, 2, 0, 2, 2, 2}
	ev := NewRuleEvaluator(NewEngine(), st, []Alert{{Name: "High", Expr: "g > 1", For: 2 * time.Second}})
	var fired []int
	for i, v := range values {
		ts := t0.Add(time.Duration(i) * time.Second)
		require.NoError(t, st.Append(ls, ts.UnixMilli(), v))
		f, err := ev.Eval(t.Context(), ts)
		require.NoError(t, err)
		if len(f) > 0 {
			fired = append(fired, i)
			assert.Equal(t, t0.Add(3*time.Second), f[0].ActiveAt, "active since the gap ended")
			assert.Equal(t, `{job="j"}`, f[0].Labels.String())
		}
	}
	assert.Equal(t, []int{5}, fired, "held at 3, 4, 5 after the gap at 2: fires at 5 only")
}

// TestMemStoreRejectsOutOfOrder: a series' samples must go forward in time.
func TestMemStoreRejectsOutOfOrder(t *testing.T) {
	st := &MemStore{}
	ls := labels.FromStrings("__name__", "g")
	require.NoError(t, st.Append(ls, 2000, 1))
	require.EqualError(t, st.Append(ls, 2000, 1), `sample of {__name__="g"} at 2000 is not after 2000`)
}
