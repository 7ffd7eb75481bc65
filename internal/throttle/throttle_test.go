package throttle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/throttle"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]throttle.Rate{
		"20/10m": {20, 10 * time.Minute}, "1/1s": {1, time.Second}, "1000/1s": {1000, time.Second},
		"1000000/24h": {1000000, 24 * time.Hour},
	} {
		if got, err := throttle.ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "20", "/10m", "0/10m", "-1/10m", "1000001/24h", "20/0s", "20/999ms", "20/25h", "20/x", "1001/1s"} {
		if got, err := throttle.ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, got)
		}
	}
}

func TestLimited(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30", 1500 * time.Millisecond: "2", time.Millisecond: "1", 0: "1"} {
		if got := (&throttle.Limited{RetryAfter: d}).RetryAfterSeconds(); got != want {
			t.Errorf("RetryAfterSeconds(%s) = %s, want %s", d, got, want)
		}
	}
	var err error = &throttle.Limited{Name: "x"}
	if !errors.Is(err, throttle.ErrLimited) {
		t.Error("a *Limited is not ErrLimited")
	}
}
