package config

import (
	"strings"
	"testing"
	"time"
)

func smsEnv(over map[string]string) map[string]string {
	env := validEnv()
	for k, v := range map[string]string{
		"SESAME_SMS_PROVIDER":   "http",
		"SESAME_SMS_BASE_URL":   "https://api.example.com/2010-04-01",
		"SESAME_SMS_ACCOUNT_ID": "AC0123456789abcdef",
		"SESAME_SMS_TOKEN":      "smstok-secret-42",
		"SESAME_SMS_FROM":       "+15005550006",
	} {
		env[k] = v
	}
	for k, v := range over {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

func TestSMSSettings(t *testing.T) {
	cfg, err := load(t, nil, validEnv(), NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMSProvider != SMSNone || cfg.SMSTimeout != 5*time.Second {
		t.Errorf("SMS defaults = %q, %s; want none, 5s", cfg.SMSProvider, cfg.SMSTimeout)
	}

	env := smsEnv(map[string]string{"SESAME_SMS_TOKEN": "", "SESAME_SMS_TIMEOUT": "2s"})
	env["SESAME_SMS_TOKEN_FILE"] = writeFile(t, "tok", "smstok-secret-42\n")
	cfg, err = load(t, nil, env, NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMSProvider != SMSHTTP || cfg.SMSBaseURL != "https://api.example.com/2010-04-01" || cfg.SMSAccountID != "AC0123456789abcdef" ||
		cfg.SMSToken.Reveal() != "smstok-secret-42" || cfg.SMSFrom != "+15005550006" || cfg.SMSTimeout != 2*time.Second {
		t.Errorf("SMS settings = %q %q %q %q %q %s", cfg.SMSProvider, cfg.SMSBaseURL, cfg.SMSAccountID, cfg.SMSToken.Reveal(), cfg.SMSFrom, cfg.SMSTimeout)
	}

	cfg, err = load(t, nil, smsEnv(map[string]string{"SESAME_SMS_PROVIDER": "log", "SESAME_ISSUER": "http://localhost:8080"}), NeedServe)
	if err != nil || cfg.SMSProvider != SMSLog {
		t.Errorf("log provider with a loopback issuer: Load = %v", err)
	}
}

func TestSMSValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string // over smsEnv; "" deletes
		want string
	}{
		{"unknown provider", map[string]string{"SESAME_SMS_PROVIDER": "smtp"}, "SESAME_SMS_PROVIDER (--sms-provider, from SESAME_SMS_PROVIDER): must be none, http or log"},
		{"http without anything", map[string]string{"SESAME_SMS_BASE_URL": "", "SESAME_SMS_ACCOUNT_ID": "", "SESAME_SMS_TOKEN": "", "SESAME_SMS_FROM": ""},
			"SESAME_SMS_PROVIDER (--sms-provider): http needs SESAME_SMS_BASE_URL, SESAME_SMS_ACCOUNT_ID, SESAME_SMS_TOKEN, SESAME_SMS_FROM"},
		{"http without base URL", map[string]string{"SESAME_SMS_BASE_URL": ""}, "http needs SESAME_SMS_BASE_URL"},
		{"http without account", map[string]string{"SESAME_SMS_ACCOUNT_ID": ""}, "http needs SESAME_SMS_ACCOUNT_ID"},
		{"http without token", map[string]string{"SESAME_SMS_TOKEN": ""}, "http needs SESAME_SMS_TOKEN"},
		{"http without sender", map[string]string{"SESAME_SMS_FROM": ""}, "http needs SESAME_SMS_FROM"},
		{"log with a public issuer", map[string]string{"SESAME_SMS_PROVIDER": "log"}, "SESAME_SMS_PROVIDER (--sms-provider): log writes one-time codes to the server log: only with an issuer on localhost or a loopback IP"},
		{"base URL over http", map[string]string{"SESAME_SMS_BASE_URL": "http://api.example.com"}, "SESAME_SMS_BASE_URL (--sms-base-url, from SESAME_SMS_BASE_URL): must use https"},
		{"base URL with credentials", map[string]string{"SESAME_SMS_BASE_URL": "https://u:smstok-secret-42@api.example.com"}, "must be an absolute URL without user info"},
		{"base URL relative", map[string]string{"SESAME_SMS_BASE_URL": "/2010-04-01"}, "must be an absolute URL"},
		{"account with a slash", map[string]string{"SESAME_SMS_ACCOUNT_ID": "AC1/../x"}, "SESAME_SMS_ACCOUNT_ID (--sms-account-id, from SESAME_SMS_ACCOUNT_ID): must be at most 64 letters"},
		{"account too long", map[string]string{"SESAME_SMS_ACCOUNT_ID": strings.Repeat("a", 65)}, "must be at most 64 letters"},
		{"sender too long", map[string]string{"SESAME_SMS_FROM": strings.Repeat("S", 33)}, "SESAME_SMS_FROM (--sms-from, from SESAME_SMS_FROM): must be at most 32 bytes"},
		{"sender with a newline", map[string]string{"SESAME_SMS_FROM": "Sesame\nX"}, "without control characters"},
		{"timeout too long", map[string]string{"SESAME_SMS_TIMEOUT": "1m"}, "SESAME_SMS_TIMEOUT (--sms-timeout, from SESAME_SMS_TIMEOUT): must be a duration from 500ms to 30s"},
		{"token and its file", map[string]string{"SESAME_SMS_TOKEN_FILE": "/nonexistent"}, "SESAME_SMS_TOKEN and its _FILE form are both set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, nil, smsEnv(c.env), NeedServe)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, c.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("got %d error lines, want 1:\n%s", n, err)
			}
			if strings.Contains(err.Error(), "smstok-secret-42") {
				t.Errorf("error reveals the SMS token:\n%s", err)
			}
		})
	}
}
