package otlpjson

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// referenceFloat is pdata's float encoding: strconv's shortest form with
// exponent notation outside [1e-6, 1e21).
func referenceFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return `"NaN"`
	case math.IsInf(v, 1):
		return `"Infinity"`
	case math.IsInf(v, -1):
		return `"-Infinity"`
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.FormatFloat(v, format, -1, 64)
}

func TestAppendFloatMatchesReference(t *testing.T) {
	values := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.5, 0.1, 0.2, 0.3, 1.25, -2.75, 0.0001, 0.00011, 0.0009999,
		1e-4, 1e-5, 1e-6, 1e-7, 123.4567, 123.45678, 99999999999.9999, 1e11, 1e11 + 0.5,
		1e15, 1e20, 1e21, 1e22, 9007199254740993, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Pi, math.E, 1.0 / 3, 2.0 / 3, 0.1 + 0.2, 5e-324, -1.5e-300, 4503599627370495.5,
		math.NaN(), math.Inf(1), math.Inf(-1), math.Nextafter(0.1, 1), math.Nextafter(0.1, 0),
		math.Nextafter(1e11, 0), math.Nextafter(12.5, 13), 0.30000000000000004,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		k := r.IntN(6)
		values = append(values,
			float64(r.Int64N(1e12)-5e11)/math.Pow10(k),
			float64(r.IntN(1000))/math.Pow10(k),
			math.Float64frombits(r.Uint64()),
			r.Float64()*math.Pow10(r.IntN(30)-15),
		)
	}
	for _, v := range values {
		require.Equalf(t, referenceFloat(v), string(appendFloat(nil, v)), "value %b", math.Float64bits(v))
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 0.1, 1.25, 1e-7, 1e21, math.NaN(), 1e11 - 0.0001} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		require.Equal(t, referenceFloat(v), string(appendFloat(nil, v)))
	})
}
