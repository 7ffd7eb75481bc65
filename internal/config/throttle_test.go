package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/clientip"
	"github.com/sesameid/sesame/internal/throttle"
)

// The client IP and rate-limit settings: their defaults (no trusted proxy), their values,
// and a clear refusal of a bad one.
func TestThrottleSettings(t *testing.T) {
	cfg, err := load(t, nil, validEnv(), NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 0 || cfg.ClientIPHeader != clientip.XForwardedFor ||
		cfg.LoginFailures != (throttle.Rate{Limit: 20, Period: 10 * time.Minute}) ||
		cfg.PagesRate != (throttle.Rate{Limit: 300, Period: time.Minute}) || cfg.TokenRate != (throttle.Rate{Limit: 3000, Period: time.Minute}) {
		t.Errorf("defaults = %v %q %v %v %v", cfg.TrustedProxies, cfg.ClientIPHeader, cfg.LoginFailures, cfg.PagesRate, cfg.TokenRate)
	}

	env := validEnv()
	env["SESAME_TRUSTED_PROXIES"] = "10.1.2.3/8, 2001:db8::/32"
	env["SESAME_CLIENT_IP_HEADER"] = "forwarded"
	env["SESAME_LOGIN_FAILURES_PER_IP"] = "5/1h"
	env["SESAME_LOGIN_PAGES_RATE"] = "10/1s"
	env["SESAME_TOKEN_RATE"] = "7/30s"
	cfg, err = load(t, nil, env, NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	if !slices.Equal(cfg.TrustedProxies, wantProxies) || cfg.ClientIPHeader != clientip.Forwarded ||
		cfg.LoginFailures != (throttle.Rate{Limit: 5, Period: time.Hour}) ||
		cfg.PagesRate != (throttle.Rate{Limit: 10, Period: time.Second}) || cfg.TokenRate != (throttle.Rate{Limit: 7, Period: 30 * time.Second}) {
		t.Errorf("set = %v %q %v %v %v", cfg.TrustedProxies, cfg.ClientIPHeader, cfg.LoginFailures, cfg.PagesRate, cfg.TokenRate)
	}

	for key, bad := range map[string]string{
		"SESAME_TRUSTED_PROXIES":       "10.0.0.1",
		"SESAME_CLIENT_IP_HEADER":      "X-Real-IP",
		"SESAME_LOGIN_FAILURES_PER_IP": "0/10m",
		"SESAME_LOGIN_PAGES_RATE":      "300",
		"SESAME_TOKEN_RATE":            "600/1ms",
	} {
		env := validEnv()
		env[key] = bad
		if _, err := load(t, nil, env, NeedServe); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: Load error = %v, want one naming the setting", key, bad, err)
		}
	}
	// A range that wide would trust the internet's forged headers (outside review).
	for _, wide := range []string{"0.0.0.0/0", "10.0.0.0/8,128.0.0.0/1", "::/0", "2000::/3"} {
		env := validEnv()
		env["SESAME_TRUSTED_PROXIES"] = wide
		if _, err := load(t, nil, env, NeedServe); err == nil || !strings.Contains(err.Error(), "too wide") {
			t.Errorf("SESAME_TRUSTED_PROXIES=%s: %v, want refused as too wide", wide, err)
		}
	}
	env = validEnv()
	env["SESAME_TRUSTED_PROXIES"] = strings.Repeat("10.0.0.0/8,", 64) + "10.0.0.0/8"
	if _, err := load(t, nil, env, NeedServe); err == nil {
		t.Error("65 trusted proxy CIDRs accepted, want at most 64")
	}
}
