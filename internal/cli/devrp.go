package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sesameid/sesame/internal/secret"
)

// devRP is the demo relying party `sesame dev` runs beside the server, so that signing in
// works end to end in a browser: a public (native) client on a loopback port, using PKCE,
// that exchanges the code and shows the ID token's claims. Each sign-in starts at /start,
// which makes a state, a nonce and a PKCE verifier of its own; the callback uses them once,
// so a reloaded callback page starts again instead of sending a used code (which would revoke
// the grant, RFC 6749 §4.1.2).
type devRP struct {
	issuer, clientID, redirect string

	mu      sync.Mutex
	pending map[string]devSignIn // by state
	order   []string             // states, oldest first, to bound pending
}

// devSignIn is what one started sign-in needs at the callback.
type devSignIn struct{ verifier, nonce string }

// maxPendingSignIns bounds the demo app's memory: the oldest started sign-in is forgotten first.
const maxPendingSignIns = 100

func newDevRP(issuer, clientID, listen string) *devRP {
	return &devRP{issuer: issuer, clientID: clientID, redirect: "http://" + listen + "/callback", pending: map[string]devSignIn{}}
}

// begin records a new sign-in and returns the URL of its authorization request.
func (d *devRP) begin() string {
	state, s := secret.Token().Reveal(), devSignIn{verifier: secret.Token().Reveal(), nonce: secret.Token().Reveal()}
	d.mu.Lock()
	if len(d.order) >= maxPendingSignIns {
		delete(d.pending, d.order[0])
		d.order = d.order[1:]
	}
	d.pending[state] = s
	d.order = append(d.order, state)
	d.mu.Unlock()
	return d.issuer + "/authorize?" + url.Values{
		"client_id": {d.clientID}, "redirect_uri": {d.redirect}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {state}, "nonce": {s.nonce},
		"code_challenge": {secret.S256(s.verifier)}, "code_challenge_method": {"S256"},
	}.Encode()
}

// take returns the sign-in of state and forgets it: a state is good for one callback.
func (d *devRP) take(state string) (devSignIn, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.pending[state]
	if ok {
		delete(d.pending, state)
		for i, st := range d.order {
			if st == state {
				d.order = append(d.order[:i], d.order[i+1:]...)
				break
			}
		}
	}
	return s, ok
}

var devRPPage = template.Must(template.New("rp").Parse(`<!doctype html><meta charset="utf-8"><title>Sesame demo app</title>
<h1>Demo app</h1>
{{- if .Stale}}<p>This sign-in was already completed (or has expired): a page reload does not sign in again.</p>
{{- else if .Error}}<p>Sign-in failed: {{.Error}}</p>
{{- else if .Claims}}<p>Signed in. The ID token says (shown unverified, for display):</p><pre>{{.Claims}}</pre>
{{- else}}<p>A relying party of the Sesame development server (a public client using PKCE).</p>{{end}}
<p><a href="/start">{{if or .Stale .Error .Claims}}Start again{{else}}Sign in with Sesame{{end}}</a></p>`))

type devRPData struct {
	Stale         bool
	Error, Claims string
}

func (d *devRP) render(w http.ResponseWriter, data devRPData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = devRPPage.Execute(w, data)
}

func (d *devRP) home(w http.ResponseWriter, r *http.Request) { d.render(w, devRPData{}) }

func (d *devRP) start(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, d.begin(), http.StatusFound)
}

func (d *devRP) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s, ok := d.take(q.Get("state"))
	var data devRPData
	switch {
	case !ok:
		data.Stale = true
	case q.Get("error") != "":
		data.Error = q.Get("error") + ": " + q.Get("error_description")
	case q.Get("iss") != d.issuer:
		data.Error = "wrong or missing iss"
	default:
		claims, err := d.exchange(r.Context(), q.Get("code"), s)
		if err != nil {
			data.Error = err.Error()
		}
		data.Claims = claims
	}
	d.render(w, data)
}

func (d *devRP) exchange(ctx context.Context, code string, s devSignIn) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {d.redirect},
		"client_id": {d.clientID}, "code_verifier": {s.verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return "", err
	}
	if tok.Error != "" {
		return "", errors.New(tok.Error)
	}
	parts := strings.Split(tok.IDToken, ".")
	if len(parts) != 3 {
		return "", errors.New("no ID token")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	pretty, _ := json.MarshalIndent(claims, "", "  ")
	return string(pretty), nil
}

// serve runs the demo app on ln until ctx ends.
func (d *devRP) serve(ctx context.Context, ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.home)
	mux.HandleFunc("GET /start", d.start)
	mux.HandleFunc("GET /callback", d.callback)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
}
