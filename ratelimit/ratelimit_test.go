package ratelimit_test

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/ratelimit"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		in   string
		want ratelimit.Rule
		bad  bool
	}{
		{"10/15m", ratelimit.Rule{Burst: 10, Per: 15 * time.Minute}, false},
		{" 3/1s ", ratelimit.Rule{Burst: 3, Per: time.Second}, false},
		{"off", ratelimit.Rule{}, false},
		{"0", ratelimit.Rule{}, false},
		{"ten/1m", ratelimit.Rule{}, true},
		{"10", ratelimit.Rule{}, true},
		{"10/forever", ratelimit.Rule{}, true},
		{"-1/1m", ratelimit.Rule{}, true},
	}
	for _, c := range cases {
		got, err := ratelimit.ParseRule(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseRule(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestAllowBurstThenRetryAfter(t *testing.T) {
	l := ratelimit.New(ratelimit.Rule{Burst: 3, Per: time.Minute})
	for i := range 3 {
		if ok, _ := l.Allow("1.2.3.4"); !ok {
			t.Fatalf("attempt %d of the burst refused", i+1)
		}
	}
	ok, retry := l.Allow("1.2.3.4")
	if ok || retry < 1 || retry > 20 {
		t.Fatalf("4th attempt: allowed %v, retry after %ds; want refused, about 20 s (one token per 20 s)", ok, retry)
	}
	if ok, _ := l.Allow("5.6.7.8"); !ok {
		t.Error("another key was limited too")
	}
	if ok, _ := ratelimit.New(ratelimit.Rule{}).Allow("x"); !ok {
		t.Error("the zero rule limited")
	}
}
