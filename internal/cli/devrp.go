package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesameid/sesame/internal/secret"
)

// devRP is the demo relying party `sesame dev` runs beside the server, so the printed
// authorize URL works end to end in a browser: it is a public (native) client on a
// loopback port, using PKCE, that exchanges the code and shows the ID token's claims.
type devRP struct {
	issuer, clientID, redirect, verifier string
}

func newDevRP(issuer, clientID, listen string) *devRP {
	return &devRP{issuer: issuer, clientID: clientID, redirect: "http://" + listen + "/callback", verifier: secret.Token().Reveal()}
}

// AuthorizeURL is the URL to open in a browser.
func (d *devRP) AuthorizeURL() string {
	return d.issuer + "/authorize?" + url.Values{
		"client_id": {d.clientID}, "redirect_uri": {d.redirect}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {"demo"}, "nonce": {"demo"},
		"code_challenge": {secret.S256(d.verifier)}, "code_challenge_method": {"S256"},
	}.Encode()
}

var devRPPage = template.Must(template.New("rp").Parse(`<!doctype html><meta charset="utf-8"><title>Sesame demo app</title>
<h1>Demo app</h1>{{if .Error}}<p>Sign-in failed: {{.Error}}</p>{{else}}<p>Signed in. The ID token says (shown unverified, for display):</p><pre>{{.Claims}}</pre>{{end}}`))

func (d *devRP) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := struct{ Error, Claims string }{}
	switch {
	case q.Get("error") != "":
		data.Error = q.Get("error") + ": " + q.Get("error_description")
	case q.Get("iss") != d.issuer:
		data.Error = "wrong or missing iss"
	default:
		claims, err := d.exchange(r.Context(), q.Get("code"))
		if err != nil {
			data.Error = err.Error()
		}
		data.Claims = claims
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = devRPPage.Execute(w, data)
}

func (d *devRP) exchange(ctx context.Context, code string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {d.redirect},
		"client_id": {d.clientID}, "code_verifier": {d.verifier}}
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

// serve runs the demo app on listen until ctx ends.
func (d *devRP) serve(ctx context.Context, listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("demo app: listen on %s: %w", listen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", d.callback)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	return nil
}
