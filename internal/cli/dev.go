package cli

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
)

// demo is what `sesame dev` creates once and prints at every start.
type demo struct {
	Org          string `json:"org"`
	Email        string `json:"email"`
	Password     string `json:"password"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RedirectURI  string `json:"redirect_uri"`
	AppClientID  string `json:"app_client_id"` // the public client of the demo app
}

const (
	demoSlug     = "demo"
	demoRedirect = "https://127.0.0.1:8443/callback"
)

// dev runs a development server: local PostgreSQL and Redis under --dir unless
// SESAME_DATABASE_URL / SESAME_REDIS_URL are set, a master key kept in --dir, migrations,
// demo data, then serve until interrupted, stopping everything it started. One instance per
// directory (a lock in it); the settings it chose are written to <dir>/env for the CLI.
func (e *env) dev(args []string) error {
	fs, l := e.flags("dev")
	dir := fs.String("dir", ".dev", "directory for the development databases, master key and demo credentials")
	appListen := fs.String("demo-app-listen", "127.0.0.1:8081", "loopback address of the demo relying party")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	unlock, err := lockDevDir(abs, *dir)
	if err != nil {
		return err
	}
	defer unlock()
	envPath := filepath.Join(abs, "env")
	prev := readEnvFile(envPath)
	// A variable equal to what the previous start wrote to <dir>/env comes from `source
	// .dev/env`: it is this instance's own setting, chosen again below, not the caller's.
	caller := func(k string) string {
		if v := e.getenv(k); v != prev[k] {
			return v
		}
		return ""
	}
	vars := map[string]string{} // the settings this start chose
	if caller("SESAME_DATABASE_URL") == "" {
		pg, err := localsvc.StartPostgres(e.ctx, filepath.Join(abs, "postgres"),
			localsvc.PostgresOptions{MaxConns: 50, Port: portAgain(prev["SESAME_DATABASE_URL"])})
		if err != nil {
			return devMissing(err)
		}
		defer pg.Stop()
		if err := pg.CreateDatabase(e.ctx, "sesame", ""); err != nil {
			return fmt.Errorf("create dev database: %w", err)
		}
		vars["SESAME_DATABASE_URL"] = pg.URL("sesame")
	}
	if caller("SESAME_REDIS_URL") == "" {
		rd, err := localsvc.StartRedis(e.ctx, filepath.Join(abs, "redis"),
			localsvc.RedisOptions{Persist: true, Port: portAgain(prev["SESAME_REDIS_URL"])})
		if err != nil {
			return devMissing(err)
		}
		defer rd.Stop()
		vars["SESAME_REDIS_URL"] = rd.URL()
	}
	if caller("SESAME_MASTER_KEY") == "" && caller("SESAME_MASTER_KEY_FILE") == "" {
		keyFile := filepath.Join(abs, "master.key")
		if err := ensureKeyFile(keyFile); err != nil {
			return err
		}
		vars["SESAME_MASTER_KEY_FILE"] = keyFile
	}
	// The issuer follows the listen address unless given.
	if caller("SESAME_ISSUER") == "" && fs.Lookup("issuer").Value.String() == "" {
		listen := fs.Lookup("listen").Value.String()
		if listen == "" {
			listen = caller("SESAME_LISTEN")
		}
		if listen == "" {
			listen = "127.0.0.1:8080"
		}
		vars["SESAME_ISSUER"] = "http://" + listen
	}
	cfg, err := l.Load(func(k string) string {
		if v := caller(k); v != "" {
			return v
		}
		return vars[k]
	}, config.NeedServe)
	if err != nil {
		return configError{err}
	}
	// The banner is printed when the server is built and both listeners are bound, just
	// before it serves: what it names answers.
	appLn, err := net.Listen("tcp", *appListen)
	if err != nil {
		return fmt.Errorf("demo app: listen on %s: %w", *appListen, err)
	}
	defer appLn.Close()
	var d demo
	if err := e.withServices(cfg, func(a *app.Services) error {
		if err := a.MigrateUp(e.ctx, io.Discard); err != nil {
			return err
		}
		d, err = e.seedDemo(a, filepath.Join(abs, "demo.json"))
		return err
	}); err != nil {
		return err
	}
	if err := writeEnvFile(envPath, vars); err != nil {
		return err
	}
	rp := newDevRP(cfg.Issuer.String(), d.AppClientID, *appListen)
	rp.serve(e.ctx, appLn)
	return e.runServer(cfg, false, func() {
		e.printDemo(cfg, d, filepath.Join(*dir, "demo.json"), filepath.Join(*dir, "env"), "http://"+*appListen+"/")
	})
}

func devMissing(err error) error {
	if errors.Is(err, localsvc.ErrMissing) {
		return fmt.Errorf("%v: install PostgreSQL and redis-server (Debian: apt-get install postgresql redis-server), or set SESAME_DATABASE_URL and SESAME_REDIS_URL", err)
	}
	return err
}

func ensureKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+).
	return os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600)
}

// seedDemo creates the demo organization, user and client when absent, saving their
// credentials to path (development only) so later starts can print them again.
func (e *env) seedDemo(a *app.Services, path string) (demo, error) {
	var d demo
	_, err := a.Orgs.BySlug(e.ctx, demoSlug)
	if err == nil {
		b, err := os.ReadFile(path)
		if err != nil {
			return demo{}, fmt.Errorf("demo organization exists but %s is missing: run make dev-reset", path)
		}
		return d, json.Unmarshal(b, &d)
	}
	if !errors.Is(err, org.ErrNotFound) {
		return demo{}, err
	}
	o, err := a.Orgs.Create(e.ctx, "Demo", demoSlug)
	if err != nil {
		return demo{}, err
	}
	// A random token, prefixed so it mixes all four character classes whatever it draws.
	pw := secret.New("Pw-1" + secret.Token().Reveal())
	if _, err := a.Users.Create(e.ctx, account.NewUser{OrgID: o.ID, Email: "demo@example.com", Name: "Demo User", Password: pw}); err != nil {
		return demo{}, err
	}
	c, sec, err := a.Clients.Register(e.ctx, client.NewClient{
		OrgID: o.ID, Name: "Demo app", RedirectURIs: []string{demoRedirect},
		PostLogoutRedirectURIs: []string{"https://127.0.0.1:8443/"},
	})
	if err != nil {
		return demo{}, err
	}
	appClient, _, err := a.Clients.Register(e.ctx, client.NewClient{
		OrgID: o.ID, Name: "Demo app (native)", Public: true, RedirectURIs: []string{"http://127.0.0.1/callback"},
	})
	if err != nil {
		return demo{}, err
	}
	d = demo{Org: demoSlug, Email: "demo@example.com", Password: pw.Reveal(), ClientID: c.ClientID, ClientSecret: sec.Reveal(),
		RedirectURI: demoRedirect, AppClientID: appClient.ClientID}
	b, _ := json.MarshalIndent(d, "", "  ")
	return d, os.WriteFile(path, b, 0o600)
}

func (e *env) printDemo(cfg *config.Config, d demo, demoPath, envPath, appURL string) {
	fmt.Fprintf(e.stdout, `
Sesame development server: %[1]s
  readiness:     %[1]s/readyz
  organization:  %[2]s
  user:          %[3]s
  password:      %[4]s

Sign in with the demo app (a public client with PKCE; it shows the ID token's claims):
  %[5]s

A confidential client for a web app of your own (the demo app does not use it; nothing
listens on its redirect URI until your app does; register others with sesame client create):
  client_id:     %[6]s
  client_secret: %[7]s
  redirect_uri:  %[8]s

The CLI against this instance:
  source %[9]s
  ./bin/sesame user list --org %[2]s

(demo credentials are kept in %[10]s; make dev-reset deletes everything)

`, cfg.Issuer, d.Org, d.Email, d.Password, appURL, d.ClientID, d.ClientSecret, d.RedirectURI, envPath, demoPath)
}
