// Package config owns Sesame's settings: where each comes from (flags over SESAME_*
// environment variables over an optional YAML file), their defaults, and their validation.
// The settings table in this file is the source of the README's configuration table.
package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/clientip"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/throttle"
)

// Config is the validated configuration of a Sesame process.
type Config struct {
	Issuer          *url.URL
	Listen          string
	MaxConnections  int    // open client connections at once; more wait in the listen backlog
	TLSCertFile     string // with TLSKeyFile: Sesame serves TLS itself
	TLSKeyFile      string
	DatabaseURL     secret.Secret // may carry a password
	DatabaseMaxConn int32
	RedisURL        secret.Secret // may carry a password
	RedisKeyPrefix  string
	DatabaseTimeout time.Duration // deadline of each PostgreSQL call
	RedisTimeout    time.Duration // deadline of each Redis call
	PurgeInterval   time.Duration // how often expired refresh-token families are deleted
	MasterKey       secret.Secret // 32 raw bytes
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	SigningAlg      string
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	PasswordMemory  uint32        // argon2id KiB
	PasswordTime    uint32        // argon2id passes
	PasswordThreads uint8         // argon2id lanes
	PasswordSlots   int           // argon2id computations at once; 0: one per CPU
	PasswordWait    time.Duration // how long a sign-in waits for a slot before a 503
	// The progressive lockout (login.LockoutRule): after LockoutThreshold consecutive
	// failures, LockoutDelay, doubled at each further failure, at most LockoutMaxDelay.
	LockoutThreshold int
	LockoutDelay     time.Duration
	LockoutMaxDelay  time.Duration
	PasswordPolicy   account.Policy // the deployment's rules for new passwords

	// Login defences: the client IP and the rate limits.
	TrustedProxies []netip.Prefix // peers whose ClientIPHeader is believed; none by default
	ClientIPHeader string         // clientip.XForwardedFor or clientip.Forwarded
	LoginFailures  throttle.Rate  // failed sign-ins per client IP, across all accounts
	PagesRate      throttle.Rate  // requests per client IP to the login pages
	TokenRate      throttle.Rate  // requests per client_id to the token endpoint
	TokenIPRate    throttle.Rate  // requests per client IP to the token endpoint

	// The SMS gateway (internal/sms).
	SMSProvider  string        // SMSNone, SMSHTTP or SMSLog
	SMSBaseURL   string        // the HTTP provider's API root
	SMSAccountID string        // the HTTP provider's account, also the basic-auth user
	SMSToken     secret.Secret // the HTTP provider's basic-auth password
	SMSFrom      string        // the sender: an E.164 number or an alphanumeric sender ID
	SMSTimeout   time.Duration // of each request to the HTTP provider
}

// The SMS providers.
const (
	SMSNone = "none" // no SMS: the SMS second factor is not offered
	SMSHTTP = "http" // a provider's Messages REST API
	SMSLog  = "log"  // development: messages, codes included, go to the server log
)

// Need names what a command requires; Validate reports a missing required setting.
type Need uint

// The settings a command may require.
const (
	NeedDatabase Need = 1 << iota
	NeedRedis
	NeedIssuer
	NeedMasterKey
	NeedServe = NeedDatabase | NeedRedis | NeedIssuer | NeedMasterKey
)

// Setting describes one configuration setting.
type Setting struct {
	Key     string // YAML key and, upper-cased with a SESAME_ prefix, the environment variable
	Flag    string // command-line flag, without dashes
	Default string
	Usage   string
	need    Need // when required
	secret  bool // the value is never printed; a <Key>_file twin reads it from a file
	parse   func(c *Config, v string) error
}

// Env returns the setting's environment variable.
func (s Setting) Env() string { return "SESAME_" + strings.ToUpper(s.Key) }

// Secret reports whether the setting is a secret (never printed, has a _FILE twin).
func (s Setting) Secret() bool { return s.secret }

// Settings returns every setting, in documentation order.
func Settings() []Setting {
	return []Setting{
		{Key: "issuer", Flag: "issuer", Usage: "public URL of this provider, e.g. https://id.example.com (https unless the host is loopback)", need: NeedIssuer, parse: parseIssuer},
		{Key: "listen", Flag: "listen", Default: "127.0.0.1:8080", Usage: "address the HTTP server listens on", parse: parseListen},
		{Key: "max_connections", Flag: "max-connections", Default: "4096", Usage: "client connections open at once (each may hold up to 16 KiB of request headers); further ones wait to be accepted", parse: uintSetting(func(c *Config, n uint64) { c.MaxConnections = int(n) }, 16, 1<<20)},
		{Key: "tls_cert_file", Flag: "tls-cert-file", Usage: "PEM certificate chain: Sesame then serves TLS itself (1.2 or 1.3, ECDHE with AEAD only; reloaded on SIGHUP); without it, terminate TLS in front of Sesame", parse: pathSetting(func(c *Config) *string { return &c.TLSCertFile })},
		{Key: "tls_key_file", Flag: "tls-key-file", Usage: "PEM private key of the TLS certificate", parse: pathSetting(func(c *Config) *string { return &c.TLSKeyFile })},
		{Key: "database_url", Flag: "database-url", Usage: "PostgreSQL URL, e.g. postgres://sesame@127.0.0.1:5432/sesame", need: NeedDatabase, secret: true, parse: parseDatabaseURL},
		{Key: "database_max_conns", Flag: "database-max-conns", Default: "10", Usage: "maximum PostgreSQL connections per process", parse: parseMaxConns},
		{Key: "redis_url", Flag: "redis-url", Usage: "Redis URL, e.g. redis://127.0.0.1:6379/0", need: NeedRedis, secret: true, parse: parseRedisURL},
		{Key: "redis_key_prefix", Flag: "redis-key-prefix", Default: "sesame:", Usage: "prefix of every Redis key, so one Redis can serve several deployments", parse: parseKeyPrefix},
		{Key: "database_timeout", Flag: "database-timeout", Default: "2s", Usage: "deadline of each PostgreSQL call: a stalled database fails the request with 503 after this long", parse: durationSetting(func(c *Config) *time.Duration { return &c.DatabaseTimeout }, 100*time.Millisecond, time.Minute)},
		{Key: "redis_timeout", Flag: "redis-timeout", Default: "2s", Usage: "deadline of each Redis call: a stalled Redis fails the request with 503 after this long", parse: durationSetting(func(c *Config) *time.Duration { return &c.RedisTimeout }, 100*time.Millisecond, time.Minute)},
		{Key: "refresh_purge_interval", Flag: "refresh-purge-interval", Default: "1h", Usage: "how often expired refresh-token families are deleted (one process at a time)", parse: durationSetting(func(c *Config) *time.Duration { return &c.PurgeInterval }, time.Minute, 24*time.Hour)},
		{Key: "master_key", Flag: "master-key", Usage: "base64 of 32 random bytes: the AES-256-GCM key sealing secrets at rest", need: NeedMasterKey, secret: true, parse: parseMasterKey},
		{Key: "log_level", Flag: "log-level", Default: "info", Usage: "debug, info, warn or error", parse: parseLogLevel},
		{Key: "log_format", Flag: "log-format", Default: "text", Usage: "text or json", parse: parseLogFormat},
		{Key: "signing_alg", Flag: "signing-alg", Default: "ES256", Usage: "algorithm of new signing keys: ES256 or RS256 (for relying parties that need it)", parse: parseSigningAlg},
		{Key: "session_idle_timeout", Flag: "session-idle-timeout", Default: "1h", Usage: "a browser session ends after this long unused (NIST SP 800-63B AAL2)", parse: durationSetting(func(c *Config) *time.Duration { return &c.SessionIdle }, time.Minute, 24*time.Hour)},
		{Key: "session_absolute_timeout", Flag: "session-absolute-timeout", Default: "24h", Usage: "a browser session ends this long after sign-in, used or not", parse: durationSetting(func(c *Config) *time.Duration { return &c.SessionAbsolute }, time.Minute, 30*24*time.Hour)},
		{Key: "password_hash_memory", Flag: "password-hash-memory", Default: "19456", Usage: "argon2id memory in KiB (at least 19456 = 19 MiB)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordMemory = uint32(n) }, 19456, 4<<20)},
		{Key: "password_hash_time", Flag: "password-hash-time", Default: "2", Usage: "argon2id passes (at least 2)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordTime = uint32(n) }, 2, 100)},
		{Key: "password_hash_threads", Flag: "password-hash-threads", Default: "1", Usage: "argon2id parallelism (at least 1)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordThreads = uint8(n) }, 1, 64)},
		{Key: "password_hash_slots", Flag: "password-hash-slots", Usage: "argon2id computations at once (default: the number of CPUs); each holds password_hash_memory, so this bounds the memory sign-ins take", parse: uintSetting(func(c *Config, n uint64) { c.PasswordSlots = int(n) }, 1, 1024)},
		{Key: "password_hash_wait", Flag: "password-hash-wait", Default: "2s", Usage: "how long a sign-in waits for a free argon2id slot before it gets 503 with Retry-After", parse: durationSetting(func(c *Config) *time.Duration { return &c.PasswordWait }, 100*time.Millisecond, 30*time.Second)},
		{Key: "lockout_threshold", Flag: "lockout-threshold", Default: "5", Usage: "consecutive failed sign-ins on one email, counted apart with and without that user's device cookie, before each further attempt waits (at most 100, NIST SP 800-63B)", parse: uintSetting(func(c *Config, n uint64) { c.LockoutThreshold = int(n) }, 1, 100)},
		{Key: "lockout_delay", Flag: "lockout-delay", Default: "30s", Usage: "the first wait after lockout_threshold failures; it doubles at each further failure", parse: durationSetting(func(c *Config) *time.Duration { return &c.LockoutDelay }, time.Second, time.Hour)},
		{Key: "lockout_max_delay", Flag: "lockout-max-delay", Default: "15m", Usage: "the longest wait between failed sign-ins on one email", parse: durationSetting(func(c *Config) *time.Duration { return &c.LockoutMaxDelay }, time.Second, 24*time.Hour)},
		{Key: "password_policy", Flag: "password-policy", Default: "default", Usage: "rules for new passwords: default (10 to 128 characters, 3 of lower-case/upper-case/digits/symbols, not a common password) or nist (NIST SP 800-63B: 15 characters, 8 in an organization requiring a second factor, no composition rules, not a common password); the four settings below adjust the preset, and an organization may only make them stricter", parse: parsePasswordPolicy},
		{Key: "password_min_length", Flag: "password-min-length", Usage: "minimum password length in characters (Unicode code points after NFKC), at least 8 (default: the preset's)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordPolicy.MinLength = int(n) }, 8, 256)},
		{Key: "password_max_length", Flag: "password-max-length", Usage: "maximum password length in characters, 64 to 256 (default: the preset's, 128)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordPolicy.MaxLength = int(n) }, 64, 256)},
		{Key: "password_min_classes", Flag: "password-min-classes", Usage: "how many of the 4 character classes (lower-case, upper-case, digits, symbols) a password must mix, 0 to 4 (default: the preset's)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordPolicy.MinClasses = int(n) }, 0, 4)},
		{Key: "password_history", Flag: "password-history", Default: "0", Usage: "a new password may not be any of the user's last N passwords, the current one included (0 to 24; 0: no rule)", parse: uintSetting(func(c *Config, n uint64) { c.PasswordPolicy.History = int(n) }, 0, 24)},
		{Key: "password_blocklist", Flag: "password-blocklist", Usage: "refuse the 30,000 most common passwords: true or false (default: the preset's, true)", parse: parsePasswordBlocklist},
		{Key: "trusted_proxies", Flag: "trusted-proxies", Usage: "comma-separated CIDRs of the reverse proxies in front of Sesame, e.g. 10.0.0.0/8: only from these peers is client_ip_header believed; without it the connection's peer is the client", parse: parseTrustedProxies},
		{Key: "client_ip_header", Flag: "client-ip-header", Default: clientip.XForwardedFor, Usage: "the header the trusted proxies append the client's address to: X-Forwarded-For or Forwarded; the rightmost address that is not a trusted proxy is the client", parse: parseClientIPHeader},
		{Key: "login_failures_per_ip", Flag: "login-failures-per-ip", Default: "20/10m", Usage: "failed sign-ins allowed per client IP across all accounts (N/duration); beyond, sign-in answers 429 with Retry-After", parse: rateSetting(func(c *Config) *throttle.Rate { return &c.LoginFailures })},
		{Key: "login_pages_rate", Flag: "login-pages-rate", Default: "300/1m", Usage: "requests per client IP to the login pages (/authorize, its callback, /login, /end_session; N/duration); beyond, 429 with Retry-After", parse: rateSetting(func(c *Config) *throttle.Rate { return &c.PagesRate })},
		{Key: "token_ip_rate", Flag: "token-ip-rate", Default: "6000/1m", Usage: "requests per client IP to the token endpoint, whatever client_id they name (N/duration); beyond, 429 with Retry-After", parse: rateSetting(func(c *Config) *throttle.Rate { return &c.TokenIPRate })},
		{Key: "token_rate", Flag: "token-rate", Default: "3000/1m", Usage: "requests per client_id to the token endpoint (N/duration); beyond, 429 with Retry-After", parse: rateSetting(func(c *Config) *throttle.Rate { return &c.TokenRate })},
		{Key: "sms_provider", Flag: "sms-provider", Default: SMSNone, Usage: "how text messages are sent: none (no SMS second factor), http (a provider's Messages REST API, the sms_* settings below) or log (development: writes each message, code included, to the server log; only with a loopback issuer)", parse: parseSMSProvider},
		{Key: "sms_base_url", Flag: "sms-base-url", Usage: "API root of the SMS provider, e.g. https://api.twilio.com/2010-04-01; messages are POSTed to <base>/Accounts/<account>/Messages.json (https unless the host is loopback)", parse: parseSMSBaseURL},
		{Key: "sms_account_id", Flag: "sms-account-id", Usage: "account ID at the SMS provider (letters, digits, - and _), also the basic-auth user", parse: parseSMSAccountID},
		{Key: "sms_token", Flag: "sms-token", Usage: "auth token of the SMS provider account (the basic-auth password)", secret: true, parse: func(c *Config, v string) error { c.SMSToken = secret.New(v); return nil }},
		{Key: "sms_from", Flag: "sms-from", Usage: "sender of the text messages: an E.164 number such as +15005550006 or an alphanumeric sender ID (at most 32 bytes)", parse: parseSMSFrom},
		{Key: "sms_timeout", Flag: "sms-timeout", Default: "5s", Usage: "deadline of each request to the SMS provider: a provider that does not answer fails the send after this long", parse: durationSetting(func(c *Config) *time.Duration { return &c.SMSTimeout }, 500*time.Millisecond, 30*time.Second)},
		{Key: "shutdown_timeout", Flag: "shutdown-timeout", Default: "15s", Usage: "how long in-flight requests may run after SIGINT/SIGTERM", parse: parseShutdownTimeout},
	}
}

// Loader collects settings from a flag set, the environment and a YAML file.
type Loader struct {
	fs    *flag.FlagSet
	flags map[string]*string
	file  *string
}

// Bind registers every setting's flag, and --config, on fs.
func Bind(fs *flag.FlagSet) *Loader {
	l := &Loader{fs: fs, flags: map[string]*string{}}
	for _, s := range Settings() {
		l.flags[s.Key] = fs.String(s.Flag, "", s.Usage+defaultNote(s))
		if s.secret {
			l.flags[s.Key+"_file"] = fs.String(s.Flag+"-file", "", "file holding "+s.Flag)
		}
	}
	l.file = fs.String("config", "", "YAML configuration file (also SESAME_CONFIG)")
	return l
}

func defaultNote(s Setting) string {
	if s.Default == "" {
		return ""
	}
	return " (default " + s.Default + ")"
}

// Load merges the sources, after fs.Parse, and validates the result for need. Every
// problem is reported, one line each, naming the setting; secret values are never quoted.
func (l *Loader) Load(getenv func(string) string, need Need) (*Config, error) {
	set := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	fileVals := map[string]string{}
	path := *l.file
	if path == "" {
		path = getenv("SESAME_CONFIG")
	}
	if path != "" {
		var err error
		// A file that cannot be used is the one problem reported: the settings it may hold
		// would otherwise be reported missing too.
		if fileVals, err = readYAML(path); err != nil {
			return nil, err
		}
	}
	var problems []string

	cfg := &Config{}
	for _, s := range Settings() {
		v, from, err := l.value(s, set, getenv, fileVals)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if v == "" {
			if need&s.need != 0 {
				problems = append(problems, fmt.Sprintf("%s (--%s): required: %s", s.Env(), s.Flag, s.Usage))
			}
			if s.Default == "" {
				continue
			}
			v, from = s.Default, "default"
		}
		if err := s.parse(cfg, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s (--%s, from %s): %v", s.Env(), s.Flag, from, err))
		}
	}
	if len(problems) == 0 {
		problems = crossChecks(cfg)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return cfg, nil
}

// value picks a setting's raw value: flag, then environment, then file; for a secret the
// plain form and its _file twin may not both be given at the same level.
func (l *Loader) value(s Setting, set map[string]bool, getenv func(string) string, file map[string]string) (v, from string, err error) {
	type source struct {
		name          string
		plain, ofFile string
		hasPlain, has bool
	}
	sources := []source{
		{name: "--" + s.Flag, plain: *l.flags[s.Key], hasPlain: set[s.Flag]},
		{name: s.Env(), plain: getenv(s.Env())},
		{name: "config file key " + s.Key, plain: file[s.Key]},
	}
	if s.secret {
		sources[0].ofFile, sources[0].has = *l.flags[s.Key+"_file"], set[s.Flag+"-file"]
		sources[1].ofFile = getenv(s.Env() + "_FILE")
		sources[2].ofFile = file[s.Key+"_file"]
	}
	for _, src := range sources {
		if src.plain == "" && src.ofFile == "" && !src.hasPlain && !src.has {
			continue
		}
		if src.plain != "" && src.ofFile != "" {
			return "", "", fmt.Errorf("%s and its _FILE form are both set: give one", s.Env())
		}
		if src.ofFile == "" {
			return src.plain, src.name, nil
		}
		b, err := os.ReadFile(src.ofFile)
		if err != nil {
			return "", "", fmt.Errorf("%s_FILE (--%s-file): cannot read the file: %v", s.Env(), s.Flag, errors.Unwrap(err))
		}
		return strings.TrimSpace(string(b)), src.name + " file", nil
	}
	return "", "", nil
}

func parsePasswordPolicy(c *Config, v string) error {
	p, ok := account.Preset(v)
	if !ok {
		return errors.New("must be default or nist")
	}
	c.PasswordPolicy = p
	return nil
}

func parsePasswordBlocklist(c *Config, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	c.PasswordPolicy.Blocklist = b
	return nil
}

// crossChecks reports the problems of settings valid alone but not together.
func crossChecks(cfg *Config) []string {
	var problems []string
	if err := cfg.PasswordPolicy.Validate(); err != nil {
		problems = append(problems, "SESAME_PASSWORD_* (--password-*): password policy: "+err.Error())
	}
	if cfg.SessionIdle > cfg.SessionAbsolute {
		problems = append(problems, "SESAME_SESSION_IDLE_TIMEOUT (--session-idle-timeout): must not exceed SESAME_SESSION_ABSOLUTE_TIMEOUT")
	}
	if cfg.LockoutDelay > cfg.LockoutMaxDelay {
		problems = append(problems, "SESAME_LOCKOUT_DELAY (--lockout-delay): must not exceed SESAME_LOCKOUT_MAX_DELAY")
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		problems = append(problems, "SESAME_TLS_CERT_FILE and SESAME_TLS_KEY_FILE (--tls-cert-file, --tls-key-file): give both or neither")
	}
	// Serving TLS under an http issuer would advertise URLs that do not work. The reverse,
	// an https issuer without TLS files, is a TLS-terminating proxy in front of Sesame.
	if cfg.TLSCertFile != "" && cfg.Issuer != nil && cfg.Issuer.Scheme != "https" {
		problems = append(problems, "SESAME_TLS_CERT_FILE (--tls-cert-file): Sesame serves TLS, so SESAME_ISSUER must be an https URL")
	}
	return append(problems, smsChecks(cfg)...)
}

// smsChecks reports an SMS provider without what it needs.
func smsChecks(cfg *Config) []string {
	var problems []string
	switch cfg.SMSProvider {
	case SMSHTTP:
		var missing []string
		for _, m := range []struct {
			env   string
			unset bool
		}{
			{"SESAME_SMS_BASE_URL", cfg.SMSBaseURL == ""},
			{"SESAME_SMS_ACCOUNT_ID", cfg.SMSAccountID == ""},
			{"SESAME_SMS_TOKEN", cfg.SMSToken.IsZero()},
			{"SESAME_SMS_FROM", cfg.SMSFrom == ""},
		} {
			if m.unset {
				missing = append(missing, m.env)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, "SESAME_SMS_PROVIDER (--sms-provider): http needs "+strings.Join(missing, ", "))
		}
	case SMSLog:
		// The log provider writes every user's codes to the log: a development tool only.
		if cfg.Issuer == nil || !loopbackHost(cfg.Issuer.Hostname()) {
			problems = append(problems, "SESAME_SMS_PROVIDER (--sms-provider): log writes one-time codes to the server log: only with an issuer on localhost or a loopback IP")
		}
	}
	return problems
}

func loopbackHost(h string) bool { return h == "localhost" || client.IsLoopbackIP(h) }

func parseSMSProvider(c *Config, v string) error {
	if v != SMSNone && v != SMSHTTP && v != SMSLog {
		return errors.New("must be none, http or log")
	}
	c.SMSProvider = v
	return nil
}

func parseSMSBaseURL(c *Config, v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must be an absolute URL without user info, query or fragment, e.g. https://api.twilio.com/2010-04-01")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !loopbackHost(u.Hostname())) {
		return errors.New("must use https (http is allowed only for a loopback host)")
	}
	c.SMSBaseURL = v
	return nil
}

func parseSMSAccountID(c *Config, v string) error {
	if len(v) > 64 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return errors.New("must be at most 64 letters, digits, - or _")
	}
	c.SMSAccountID = v
	return nil
}

func parseSMSFrom(c *Config, v string) error {
	if len(v) > 32 || strings.IndexFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return errors.New("must be at most 32 bytes without control characters")
	}
	c.SMSFrom = v
	return nil
}

func readYAML(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("SESAME_CONFIG (--config): cannot read %s: %v", path, errors.Unwrap(err))
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("SESAME_CONFIG (--config): %s is not valid YAML", path)
	}
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Key] = true
		if s.secret {
			known[s.Key+"_file"] = true
		}
	}
	out := map[string]string{}
	var unknown []string
	for k, v := range raw {
		if !known[k] {
			unknown = append(unknown, k)
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("SESAME_CONFIG (--config): %s has unknown keys: %s", path, strings.Join(unknown, ", "))
	}
	return out, nil
}

func parseIssuer(c *Config, v string) error {
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute URL such as https://id.example.com")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must have no query, fragment or user info")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return errors.New("must use https (http is allowed only for a loopback host)")
		}
	default:
		return errors.New("must use https")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.Issuer = u
	return nil
}

func pathSetting(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = v
		return nil
	}
}

func parseListen(c *Config, v string) error {
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return errors.New("must be host:port, e.g. 127.0.0.1:8080")
	}
	c.Listen = v
	return nil
}

// parseServiceURL checks a URL without echoing it: url.Parse errors quote the input,
// which may hold a password.
func parseServiceURL(v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("must be a URL like %s://host:port/...", schemes[0])
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("scheme must be one of %s", strings.Join(schemes, ", "))
}

func parseDatabaseURL(c *Config, v string) error {
	if err := parseServiceURL(v, "postgres", "postgresql"); err != nil {
		return err
	}
	c.DatabaseURL = secret.New(v)
	return nil
}

func parseRedisURL(c *Config, v string) error {
	if err := parseServiceURL(v, "redis", "rediss"); err != nil {
		return err
	}
	c.RedisURL = secret.New(v)
	return nil
}

func parseMaxConns(c *Config, v string) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 2 || n > 1000 {
		return errors.New("must be a whole number from 2 to 1000")
	}
	c.DatabaseMaxConn = int32(n)
	return nil
}

func parseKeyPrefix(c *Config, v string) error {
	if len(v) > 64 || strings.ContainsAny(v, " \t\r\n") {
		return errors.New("must be at most 64 characters without spaces")
	}
	c.RedisKeyPrefix = v
	return nil
}

func parseMasterKey(c *Config, v string) error {
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		k, err = base64.RawStdEncoding.DecodeString(v)
	}
	if err != nil || len(k) != 32 {
		return errors.New("must be base64 of exactly 32 random bytes (e.g. openssl rand -base64 32)")
	}
	c.MasterKey = secret.New(string(k))
	return nil
}

func parseLogLevel(c *Config, v string) error {
	if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
		return errors.New("must be debug, info, warn or error")
	}
	return nil
}

func parseLogFormat(c *Config, v string) error {
	if v != "text" && v != "json" {
		return errors.New("must be text or json")
	}
	c.LogFormat = v
	return nil
}

func parseShutdownTimeout(c *Config, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 10*time.Minute {
		return errors.New("must be a duration from 1s to 10m, e.g. 15s")
	}
	c.ShutdownTimeout = d
	return nil
}

func parseSigningAlg(c *Config, v string) error {
	if err := signing.CheckAlg(v); err != nil {
		return err
	}
	c.SigningAlg = v
	return nil
}

func durationSetting(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %s to %s", lo, hi)
		}
		*field(c) = d
		return nil
	}
}

func uintSetting(set func(*Config, uint64), lo, hi uint64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		set(c, n)
		return nil
	}
}

func rateSetting(field func(*Config) *throttle.Rate) func(*Config, string) error {
	return func(c *Config, v string) error {
		r, err := throttle.ParseRate(v)
		if err != nil {
			return err
		}
		*field(c) = r
		return nil
	}
}

// maxTrustedProxies bounds the list every request is checked against.
const maxTrustedProxies = 64

func parseTrustedProxies(c *Config, v string) error {
	var ps []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(f))
		if err != nil {
			return errors.New("must be comma-separated CIDRs, e.g. 10.0.0.0/8,2001:db8::/32")
		}
		// Trusting a range this wide trusts the internet: anyone could forge the header and
		// step around every per-IP limit.
		if p.Bits() < 8 || (p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() < 16) {
			return fmt.Errorf("%s is too wide to be your proxies (at least /8 for IPv4, /16 for IPv6)", p)
		}
		ps = append(ps, p.Masked())
	}
	if len(ps) > maxTrustedProxies {
		return fmt.Errorf("at most %d CIDRs", maxTrustedProxies)
	}
	c.TrustedProxies = ps
	return nil
}

func parseClientIPHeader(c *Config, v string) error {
	switch {
	case strings.EqualFold(v, clientip.XForwardedFor):
		c.ClientIPHeader = clientip.XForwardedFor
	case strings.EqualFold(v, clientip.Forwarded):
		c.ClientIPHeader = clientip.Forwarded
	default:
		return errors.New("must be X-Forwarded-For or Forwarded")
	}
	return nil
}
