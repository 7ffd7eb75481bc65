package config

import (
	"flag"
	"github.com/sesameid/sesame/internal/account"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 0..31

func load(t *testing.T, args []string, env map[string]string, need Need) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := Bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return l.Load(func(k string) string { return env[k] }, need)
}

func validEnv() map[string]string {
	return map[string]string{
		"SESAME_ISSUER":       "https://id.example.com",
		"SESAME_DATABASE_URL": "postgres://sesame:pgpass-123@127.0.0.1:5432/sesame",
		"SESAME_REDIS_URL":    "redis://:redispass-456@127.0.0.1:6379/0",
		"SESAME_MASTER_KEY":   goodKey,
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadValid(t *testing.T) {
	cfg, err := load(t, nil, validEnv(), NeedServe)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Issuer.String() != "https://id.example.com" || cfg.Listen != "127.0.0.1:8080" ||
		cfg.RedisKeyPrefix != "sesame:" || cfg.LogLevel != slog.LevelInfo || cfg.LogFormat != "text" ||
		cfg.ShutdownTimeout != 15*time.Second || cfg.DatabaseMaxConn != 10 ||
		cfg.DatabaseTimeout != 2*time.Second || cfg.RedisTimeout != 2*time.Second || cfg.PurgeInterval != time.Hour ||
		cfg.PasswordSlots != 0 || cfg.PasswordWait != 2*time.Second {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if k := cfg.MasterKey.Reveal(); len(k) != 32 || k[31] != 31 {
		t.Errorf("master key decoded to %d bytes", len(k))
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "c.yaml", "listen: 127.0.0.1:3\nlog_level: debug\nlog_format: json\n")
	env := validEnv()
	env["SESAME_LISTEN"] = "127.0.0.1:2"
	env["SESAME_LOG_LEVEL"] = "warn"
	env["SESAME_CONFIG"] = file
	cfg, err := load(t, []string{"--listen", "127.0.0.1:1"}, env, NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:1" {
		t.Errorf("Listen = %q, want the flag's value", cfg.Listen)
	}
	if cfg.LogLevel != slog.LevelWarn {
		t.Errorf("LogLevel = %v, want the environment's warn over the file's debug", cfg.LogLevel)
	}
	if cfg.LogFormat != "json" {
		t.Errorf("LogFormat = %q, want the file's json over the default", cfg.LogFormat)
	}
}

func TestSecretFromFile(t *testing.T) {
	env := validEnv()
	delete(env, "SESAME_MASTER_KEY")
	env["SESAME_MASTER_KEY_FILE"] = writeFile(t, "key", goodKey+"\n")
	cfg, err := load(t, nil, env, NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.MasterKey.Reveal()) != 32 {
		t.Errorf("master key from file: %d bytes", len(cfg.MasterKey.Reveal()))
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string // merged over validEnv; "" deletes
		need Need
		want []string // each must be a line of the error
	}{
		{name: "missing issuer", env: map[string]string{"SESAME_ISSUER": ""}, need: NeedServe, want: []string{"SESAME_ISSUER (--issuer): required"}},
		{name: "missing everything", env: map[string]string{"SESAME_ISSUER": "", "SESAME_DATABASE_URL": "", "SESAME_REDIS_URL": "", "SESAME_MASTER_KEY": ""}, need: NeedServe,
			want: []string{"SESAME_ISSUER (--issuer): required", "SESAME_DATABASE_URL (--database-url): required", "SESAME_REDIS_URL (--redis-url): required", "SESAME_MASTER_KEY (--master-key): required"}},
		{name: "database only needs database", env: map[string]string{"SESAME_ISSUER": "", "SESAME_REDIS_URL": "", "SESAME_MASTER_KEY": "", "SESAME_DATABASE_URL": ""}, need: NeedDatabase,
			want: []string{"SESAME_DATABASE_URL (--database-url): required"}},
		{name: "issuer not a URL", env: map[string]string{"SESAME_ISSUER": "id.example.com"}, need: NeedServe, want: []string{"SESAME_ISSUER (--issuer, from SESAME_ISSUER): must be an absolute URL"}},
		{name: "issuer http public", env: map[string]string{"SESAME_ISSUER": "http://id.example.com"}, need: NeedServe, want: []string{"must use https (http is allowed only for a loopback host)"}},
		{name: "issuer with query", env: map[string]string{"SESAME_ISSUER": "https://id.example.com/?a=b"}, need: NeedServe, want: []string{"must have no query"}},
		{name: "issuer ftp", env: map[string]string{"SESAME_ISSUER": "ftp://id.example.com"}, need: NeedServe, want: []string{"must use https"}},
		{name: "listen no port", args: []string{"--listen", "127.0.0.1"}, need: NeedServe, want: []string{"SESAME_LISTEN (--listen, from --listen): must be host:port"}},
		{name: "database scheme", env: map[string]string{"SESAME_DATABASE_URL": "mysql://u:pw-secret@h/db"}, need: NeedServe, want: []string{"SESAME_DATABASE_URL (--database-url, from SESAME_DATABASE_URL): scheme must be one of postgres, postgresql"}},
		{name: "database garbage", env: map[string]string{"SESAME_DATABASE_URL": "postgres://u:pw-secret@h:port%zz/db"}, need: NeedServe, want: []string{"must be a URL like postgres://"}},
		{name: "redis scheme", env: map[string]string{"SESAME_REDIS_URL": "http://127.0.0.1:6379"}, need: NeedServe, want: []string{"scheme must be one of redis, rediss"}},
		{name: "master key not base64", env: map[string]string{"SESAME_MASTER_KEY": "not base64 !!"}, need: NeedServe, want: []string{"SESAME_MASTER_KEY (--master-key, from SESAME_MASTER_KEY): must be base64 of exactly 32 random bytes"}},
		{name: "master key short", env: map[string]string{"SESAME_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODw=="}, need: NeedServe, want: []string{"must be base64 of exactly 32 random bytes"}},
		{name: "master key and file", env: map[string]string{"SESAME_MASTER_KEY_FILE": "/nonexistent"}, need: NeedServe, want: []string{"SESAME_MASTER_KEY and its _FILE form are both set"}},
		{name: "master key file missing", env: map[string]string{"SESAME_MASTER_KEY": "", "SESAME_MASTER_KEY_FILE": "/nonexistent/key"}, need: NeedServe, want: []string{"SESAME_MASTER_KEY_FILE (--master-key-file): cannot read the file"}},
		{name: "log level", env: map[string]string{"SESAME_LOG_LEVEL": "loud"}, need: NeedServe, want: []string{"SESAME_LOG_LEVEL (--log-level, from SESAME_LOG_LEVEL): must be debug, info, warn or error"}},
		{name: "log format", args: []string{"--log-format", "xml"}, need: NeedServe, want: []string{"must be text or json"}},
		{name: "max conns", env: map[string]string{"SESAME_DATABASE_MAX_CONNS": "1"}, need: NeedServe, want: []string{"must be a whole number from 2 to 1000"}},
		{name: "shutdown timeout", env: map[string]string{"SESAME_SHUTDOWN_TIMEOUT": "forever"}, need: NeedServe, want: []string{"must be a duration"}},
		{name: "dependency timeouts", env: map[string]string{"SESAME_DATABASE_TIMEOUT": "10ms", "SESAME_REDIS_TIMEOUT": "2m"}, need: NeedServe, want: []string{
			"SESAME_DATABASE_TIMEOUT (--database-timeout, from SESAME_DATABASE_TIMEOUT): must be a duration from 100ms to 1m0s",
			"SESAME_REDIS_TIMEOUT (--redis-timeout, from SESAME_REDIS_TIMEOUT): must be a duration from 100ms to 1m0s"}},
		{name: "purge interval", env: map[string]string{"SESAME_REFRESH_PURGE_INTERVAL": "1s"}, need: NeedServe, want: []string{"must be a duration from 1m0s to 24h0m0s"}},
		{name: "hash slots zero", env: map[string]string{"SESAME_PASSWORD_HASH_SLOTS": "0"}, need: NeedServe, want: []string{"SESAME_PASSWORD_HASH_SLOTS (--password-hash-slots, from SESAME_PASSWORD_HASH_SLOTS): must be a whole number from 1 to 1024"}},
		{name: "hash wait too long", env: map[string]string{"SESAME_PASSWORD_HASH_WAIT": "1m"}, need: NeedServe, want: []string{"SESAME_PASSWORD_HASH_WAIT (--password-hash-wait, from SESAME_PASSWORD_HASH_WAIT): must be a duration from 100ms to 30s"}},
		{name: "lockout threshold over NIST's bound", env: map[string]string{"SESAME_LOCKOUT_THRESHOLD": "101"}, need: NeedServe, want: []string{"SESAME_LOCKOUT_THRESHOLD (--lockout-threshold, from SESAME_LOCKOUT_THRESHOLD): must be a whole number from 1 to 100"}},
		{name: "lockout delay over its cap", env: map[string]string{"SESAME_LOCKOUT_DELAY": "20m"}, need: NeedServe, want: []string{"SESAME_LOCKOUT_DELAY (--lockout-delay): must not exceed SESAME_LOCKOUT_MAX_DELAY"}},
		{name: "config file missing", env: map[string]string{"SESAME_CONFIG": "/nonexistent/sesame.yaml"}, need: NeedServe, want: []string{"SESAME_CONFIG (--config): cannot read /nonexistent/sesame.yaml"}},
		{name: "config file missing, issuer too", env: map[string]string{"SESAME_CONFIG": "/nonexistent/sesame.yaml", "SESAME_ISSUER": ""}, need: NeedServe, want: []string{"SESAME_CONFIG (--config): cannot read /nonexistent/sesame.yaml"}},
		{name: "TLS certificate without key", env: map[string]string{"SESAME_TLS_CERT_FILE": "/etc/sesame/cert.pem"}, need: NeedServe, want: []string{"SESAME_TLS_CERT_FILE and SESAME_TLS_KEY_FILE (--tls-cert-file, --tls-key-file): give both or neither"}},
		{name: "TLS key without certificate", args: []string{"--tls-key-file", "/etc/sesame/key.pem"}, need: NeedServe, want: []string{"give both or neither"}},
		{name: "TLS under an http issuer", env: map[string]string{"SESAME_ISSUER": "http://127.0.0.1:8443", "SESAME_TLS_CERT_FILE": "/c.pem", "SESAME_TLS_KEY_FILE": "/k.pem"}, need: NeedServe, want: []string{"SESAME_TLS_CERT_FILE (--tls-cert-file): Sesame serves TLS, so SESAME_ISSUER must be an https URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			_, err := load(t, tt.args, env, tt.need)
			if err == nil {
				t.Fatalf("Load succeeded, want errors %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d error lines, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			for _, s := range []string{"pw-secret", "redispass", "pgpass", goodKey} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error reveals a secret (%q):\n%s", s, err)
				}
			}
		})
	}
}

// A file with an unknown key is refused, and that is the one problem reported: the settings
// it holds are not then reported missing.
func TestConfigFileUnknownKey(t *testing.T) {
	env := validEnv()
	delete(env, "SESAME_ISSUER")
	env["SESAME_CONFIG"] = writeFile(t, "c.yaml", "issuer: https://id.example.com\nmaster_kee: x\n")
	_, err := load(t, nil, env, NeedServe)
	if err == nil || err.Error() != "SESAME_CONFIG (--config): "+env["SESAME_CONFIG"]+" has unknown keys: master_kee" {
		t.Errorf("Load = %v, want exactly the unknown key error", err)
	}
}

// TLS files: both or neither; an https issuer without them is a TLS-terminating proxy.
func TestTLSSettings(t *testing.T) {
	env := validEnv()
	cfg, err := load(t, nil, env, NeedServe)
	if err != nil || cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" {
		t.Errorf("https issuer without TLS files: Load = %+v, %v; want valid, no TLS", cfg, err)
	}
	env["SESAME_TLS_CERT_FILE"] = "/etc/sesame/cert.pem"
	cfg, err = load(t, []string{"--tls-key-file", "/etc/sesame/key.pem"}, env, NeedServe)
	if err != nil || cfg.TLSCertFile != "/etc/sesame/cert.pem" || cfg.TLSKeyFile != "/etc/sesame/key.pem" {
		t.Errorf("TLS files: Load = %+v, %v", cfg, err)
	}
}

// The README's configuration table must list every setting: it is the operator's reference.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		row := "| `" + s.Env() + "` | `--" + s.Flag + "` |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md has no configuration row starting %q", row)
		}
	}
}

func TestPasswordHashLimits(t *testing.T) {
	env := validEnv()
	env["SESAME_PASSWORD_HASH_SLOTS"], env["SESAME_PASSWORD_HASH_WAIT"] = "3", "500ms"
	cfg, err := load(t, nil, env, NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PasswordSlots != 3 || cfg.PasswordWait != 500*time.Millisecond {
		t.Errorf("PasswordSlots, PasswordWait = %d, %s; want 3, 500ms", cfg.PasswordSlots, cfg.PasswordWait)
	}
}

// The password policy is a preset, default or nist, that the four settings after it adjust;
// a combination outside the bounds of every policy is refused.
func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want account.Policy
		err  string
	}{
		{"default", nil, account.DefaultPolicy(), ""},
		{"nist", map[string]string{"SESAME_PASSWORD_POLICY": "nist"}, account.NISTPolicy(), ""},
		{"nist adjusted", map[string]string{"SESAME_PASSWORD_POLICY": "nist", "SESAME_PASSWORD_MIN_LENGTH": "16", "SESAME_PASSWORD_MAX_LENGTH": "200", "SESAME_PASSWORD_MIN_CLASSES": "2", "SESAME_PASSWORD_BLOCKLIST": "false"},
			account.Policy{MinLength: 16, MinLengthSecondFactor: 8, MaxLength: 200, MinClasses: 2}, ""},
		{"unknown preset", map[string]string{"SESAME_PASSWORD_POLICY": "lax"}, account.Policy{}, "SESAME_PASSWORD_POLICY (--password-policy, from SESAME_PASSWORD_POLICY): must be default or nist"},
		{"min below 8", map[string]string{"SESAME_PASSWORD_MIN_LENGTH": "7"}, account.Policy{}, "SESAME_PASSWORD_MIN_LENGTH"},
		{"max below 64", map[string]string{"SESAME_PASSWORD_MAX_LENGTH": "63"}, account.Policy{}, "SESAME_PASSWORD_MAX_LENGTH"},
		{"5 classes", map[string]string{"SESAME_PASSWORD_MIN_CLASSES": "5"}, account.Policy{}, "SESAME_PASSWORD_MIN_CLASSES"},
		{"nist with history", map[string]string{"SESAME_PASSWORD_POLICY": "nist", "SESAME_PASSWORD_HISTORY": "5"},
			account.Policy{MinLength: 15, MinLengthSecondFactor: 8, MaxLength: 128, Blocklist: true, History: 5}, ""},
		{"history 25", map[string]string{"SESAME_PASSWORD_HISTORY": "25"}, account.Policy{}, "SESAME_PASSWORD_HISTORY"},
		{"blocklist maybe", map[string]string{"SESAME_PASSWORD_BLOCKLIST": "maybe"}, account.Policy{}, "SESAME_PASSWORD_BLOCKLIST (--password-blocklist, from SESAME_PASSWORD_BLOCKLIST): must be true or false"},
		{"min over max", map[string]string{"SESAME_PASSWORD_MIN_LENGTH": "100", "SESAME_PASSWORD_MAX_LENGTH": "64"}, account.Policy{}, "password policy: minimum length must not exceed the maximum length"},
	}
	for _, tt := range tests {
		env := validEnv()
		for k, v := range tt.env {
			env[k] = v
		}
		cfg, err := load(t, nil, env, NeedServe)
		switch {
		case tt.err == "" && (err != nil || cfg.PasswordPolicy != tt.want):
			t.Errorf("%s: Load = %+v, %v; want %+v", tt.name, cfg, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: Load err = %v, want %q", tt.name, err, tt.err)
		}
	}
}
