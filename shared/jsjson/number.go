package jsjson

import (
	"math"
	"strconv"
)

// appendNumber writes f as ECMAScript's Number::toString does, with the
// JSON.stringify exceptions: NaN and ±Inf become null, and -0 becomes 0.
//
// Number::toString takes the shortest decimal digits d1…dk that round-trip
// to f, and the exponent n with f = 0.d1…dk × 10^n. It writes plain decimal
// notation when -6 < n <= 21 and exponential notation otherwise, with an
// explicit exponent sign and no '.' after a single digit (1e+21, 1.5e-7).
// strconv's 'e' format with precision -1 yields the same shortest digits.
func appendNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	var buf [32]byte
	digits, n := shortestDigits(buf[:0], f)
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		return appendZeros(dst, n-k)
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		return append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		dst = appendZeros(dst, -n)
		return append(dst, digits...)
	}
	return appendExponential(dst, digits, n)
}

// shortestDigits returns the shortest round-trip decimal digits of the
// positive finite f, without a point, and the exponent n for which
// f = 0.digits × 10^n. It reuses buf for the digits.
func shortestDigits(buf []byte, f float64) ([]byte, int) {
	// strconv writes d[.ddd]e±XX.
	formatted := strconv.AppendFloat(buf, f, 'e', -1, 64)
	digits := formatted[:0]
	i := 0
	for ; formatted[i] != 'e'; i++ {
		if formatted[i] != '.' {
			digits = append(digits, formatted[i])
		}
	}
	return digits, parseExponent(formatted[i+1:]) + 1
}

// parseExponent decodes the [+-]ddd exponent that strconv writes.
func parseExponent(b []byte) int {
	sign := 1
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		if b[0] == '-' {
			sign = -1
		}
		b = b[1:]
	}
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return sign * n
}

// appendExponential writes d[.ddd]e±X where X = |n-1|.
func appendExponential(dst, digits []byte, n int) []byte {
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if n-1 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(abs(n-1)), 10)
}

func appendZeros(dst []byte, count int) []byte {
	for range count {
		dst = append(dst, '0')
	}
	return dst
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
