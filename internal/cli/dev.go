package cli

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// demo data, then serve until interrupted, stopping everything it started.
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
	vars := map[string]string{}
	if e.getenv("SESAME_DATABASE_URL") == "" {
		pg, err := localsvc.StartPostgres(e.ctx, filepath.Join(abs, "postgres"), localsvc.PostgresOptions{MaxConns: 50})
		if err != nil {
			return devMissing(err)
		}
		defer pg.Stop()
		if err := pg.CreateDatabase(e.ctx, "sesame", ""); err != nil {
			return fmt.Errorf("create dev database: %w", err)
		}
		vars["SESAME_DATABASE_URL"] = pg.URL("sesame")
	}
	if e.getenv("SESAME_REDIS_URL") == "" {
		rd, err := localsvc.StartRedis(e.ctx, filepath.Join(abs, "redis"), localsvc.RedisOptions{Persist: true})
		if err != nil {
			return devMissing(err)
		}
		defer rd.Stop()
		vars["SESAME_REDIS_URL"] = rd.URL()
	}
	if e.getenv("SESAME_MASTER_KEY") == "" && e.getenv("SESAME_MASTER_KEY_FILE") == "" {
		keyFile := filepath.Join(abs, "master.key")
		if err := ensureKeyFile(keyFile); err != nil {
			return err
		}
		vars["SESAME_MASTER_KEY_FILE"] = keyFile
	}
	getenv := func(k string) string {
		if v := e.getenv(k); v != "" {
			return v
		}
		return vars[k]
	}
	// The issuer follows the listen address unless given.
	cfg, err := l.Load(func(k string) string {
		if k == "SESAME_ISSUER" && getenv(k) == "" {
			listen := getenv("SESAME_LISTEN")
			if f := fs.Lookup("listen"); f.Value.String() != "" {
				listen = f.Value.String()
			}
			if listen == "" {
				listen = "127.0.0.1:8080"
			}
			return "http://" + listen
		}
		return getenv(k)
	}, config.NeedServe)
	if err != nil {
		return configError{err}
	}
	var rp *devRP
	if err := e.withServices(cfg, func(a *app.Services) error {
		if err := a.MigrateUp(e.ctx, io.Discard); err != nil {
			return err
		}
		d, err := e.seedDemo(a, filepath.Join(abs, "demo.json"))
		if err != nil {
			return err
		}
		rp = newDevRP(cfg.Issuer.String(), d.AppClientID, *appListen)
		e.printDemo(cfg, d, filepath.Join(abs, "demo.json"), rp.AuthorizeURL())
		return nil
	}); err != nil {
		return err
	}
	if err := rp.serve(e.ctx, *appListen); err != nil {
		return err
	}
	return e.runServer(cfg, false, nil)
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
	pw := secret.Token()
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

func (e *env) printDemo(cfg *config.Config, d demo, path, authorizeURL string) {
	fmt.Fprintf(e.stdout, `
Sesame development server: %[1]s
  readiness:     %[1]s/readyz
  organization:  %[2]s
  user:          %[3]s
  password:      %[4]s
  client_id:     %[5]s
  client_secret: %[6]s
  redirect_uri:  %[7]s
(demo credentials are kept in %[8]s; make dev-reset deletes everything)

Sign in with the demo app (a public client with PKCE; it shows the ID token's claims):
  %[9]s

`, cfg.Issuer, d.Org, d.Email, d.Password, d.ClientID, d.ClientSecret, d.RedirectURI, path, authorizeURL)
}
