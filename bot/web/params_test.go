package web

import "testing"

func TestDigits(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100001", 100001, true},
		{"0", 0, true},
		{"007", 7, true},
		{"999999999999999999", 999999999999999999, true},
		{"+100001", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"１２", 0, false}, // fullwidth digits
		{"9223372036854775808", 0, false},
	}
	for _, tt := range tests {
		if got, ok := Digits(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("Digits(%q): got %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestID(t *testing.T) {
	for in, want := range map[string]int64{"100001": 100001, "1": 1, "0100001": 0, "01": 0, "0": 0, "+1": 0, "": 0, "-1": 0} {
		got, ok := ID(in)
		if ok != (want != 0) || got != want && ok {
			t.Errorf("ID(%q): got %d, %v; want %d", in, got, ok, want)
		}
	}
}
