package oidcop

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
)

// authorize handles GET and POST /authorize. Until the client and redirect URI are known
// good, every error is Sesame's own page (never a redirect); after, errors go back to the
// client's redirect URI with iss (RFC 9207).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Invalid request", "The authorization request could not be read.")
		return nil
	}
	c, err := p.d.Clients.ByClientID(ctx, req.ClientID)
	if errors.Is(err, client.ErrNotFound) {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Unknown application", "The application that sent you here is not registered.")
		return nil
	}
	if err != nil {
		return err
	}
	if !RedirectAllowed(c, req.RedirectURI) {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Invalid redirect", "The application asked to return to an address it has not registered.")
		return nil
	}
	fail := func(e *oidc.Error) error { return p.authError(w, r, req.RedirectURI, req.ResponseMode, req.State, e) }

	switch {
	case req.RequestParam != "" || r.Form.Get("request_uri") != "":
		return fail(oidc.ErrRequestNotSupported())
	case req.ResponseType != oidc.ResponseTypeCode:
		return fail(&oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is supported"})
	case req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFormPost:
		return fail(oidc.ErrInvalidRequest().WithDescription("response_mode must be query or form_post"))
	case !c.Has(client.GrantAuthorizationCode):
		return fail(oidc.ErrUnauthorizedClient().WithDescription("the authorization_code grant is not registered for this client"))
	case req.CodeChallenge == "":
		// ASVS 5.0 10.4.6: PKCE for every client, public or confidential.
		return fail(oidc.ErrInvalidRequest().WithDescription("code_challenge is required (PKCE with S256)"))
	case req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return fail(oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256"))
	case !slices.Contains(req.Scopes, oidc.ScopeOpenID):
		return fail(oidc.ErrInvalidScope().WithDescription("the openid scope is required"))
	}
	req.Scopes = slices.DeleteFunc(slices.Clone(req.Scopes), func(s string) bool {
		return !slices.Contains(supportedScopes, s) || (s == oidc.ScopeOfflineAccess && !c.Has(client.GrantRefreshToken))
	})
	maxAge, err := op.ValidateAuthReqPrompt(req.Prompt, req.MaxAge)
	if err != nil {
		return fail(oidc.DefaultToServerError(err, "invalid prompt"))
	}
	hintSub, err := op.ValidateAuthReqIDTokenHint(ctx, req.IDTokenHint, p.op.IDTokenHintVerifier(ctx))
	if err != nil {
		return fail(oidc.ErrLoginRequired().WithDescription("the id_token_hint is invalid"))
	}

	id, err := newRequestID()
	if err != nil {
		return err
	}
	g := fromOIDC(req, id, p.d.Now())
	g.MaxAge, g.HintSubject = maxAge, hintSub
	g.Scopes = req.Scopes
	g.BindingHash = secret.Digest(p.binding(w, r))
	g.CSRF = secret.Token().Reveal()

	// SSO: a live session that satisfies prompt and max_age completes the request at once.
	if sess, ok := p.session(r); ok && sess.Satisfies(maxAge, p.d.Now()) && (hintSub == "" || hintSub == sess.UserID) {
		g.UserID, g.AuthTime, g.AMR, g.Done = sess.UserID, sess.AuthTime, sess.AMR, true
		if err := p.d.Requests.SaveAuthRequest(ctx, g); err != nil {
			return err
		}
		return p.respondWithCode(w, r, g)
	}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return fail(oidc.ErrLoginRequired())
	}
	if err := p.d.Requests.SaveAuthRequest(ctx, g); err != nil {
		return err
	}
	http.Redirect(w, r, PathLogin+"?id="+url.QueryEscape(id), http.StatusFound)
	return nil
}

// binding returns this browser's binding value, setting the cookie when absent. Every
// login transaction stores its SHA-256; the login page and the callback refuse a
// transaction whose hash does not match the browser's cookie.
func (p *Provider) binding(w http.ResponseWriter, r *http.Request) string {
	if v := p.d.Pages.Cookie(r, httpx.BindingCookie); len(v) == 43 {
		return v
	}
	v := secret.Token().Reveal()
	p.d.Pages.SetCookie(w, httpx.BindingCookie, v, 0)
	return v
}

// session returns the browser's live session, sliding its idle expiry.
func (p *Provider) session(r *http.Request) (grant.Session, bool) {
	id := p.d.Pages.Cookie(r, httpx.SessionCookie)
	if id == "" {
		return grant.Session{}, false
	}
	s, err := p.d.Sessions.TouchSession(r.Context(), id, p.cfg.Sessions, p.d.Now())
	if err != nil {
		if !errors.Is(err, grant.ErrNotFound) {
			httpx.Logger(r.Context()).Error("read session", "err", err)
		}
		return grant.Session{}, false
	}
	return s, true
}

// callback finishes a request the login page marked done: only in the browser that
// started it.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) error {
	g, err := p.d.Requests.AuthRequest(r.Context(), r.URL.Query().Get("id"))
	if errors.Is(err, grant.ErrNotFound) {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or was already used. Return to the application and try again.")
		return nil
	}
	if err != nil {
		return err
	}
	if !g.BoundTo(p.d.Pages.Cookie(r, httpx.BindingCookie)) {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Sign-in refused", "This sign-in was started in another browser. Return to the application and start again here.")
		return nil
	}
	if !g.Done {
		http.Redirect(w, r, PathLogin+"?id="+url.QueryEscape(g.ID), http.StatusFound)
		return nil
	}
	return p.respondWithCode(w, r, g)
}

// respondWithCode issues the code (op builds it, encrypted and unguessable; SaveAuthCode
// stores it and forgets the pending request) and sends it to the client.
func (p *Provider) respondWithCode(w http.ResponseWriter, r *http.Request, g grant.AuthRequest) error {
	code, err := op.CreateAuthRequestCode(r.Context(), authRequest{g}, p.st, p.op.Crypto())
	if err != nil {
		return err
	}
	params := url.Values{"code": {code}}
	if g.State != "" {
		params.Set("state", g.State)
	}
	return p.authResponse(w, r, g.RedirectURI, oidc.ResponseMode(g.ResponseMode), params)
}

// authError sends an OAuth error to the (already validated) redirect URI.
func (p *Provider) authError(w http.ResponseWriter, r *http.Request, redirectURI string, mode oidc.ResponseMode, state string, e *oidc.Error) error {
	params := url.Values{"error": {string(e.ErrorType)}}
	if e.Description != "" {
		params.Set("error_description", e.Description)
	}
	if state != "" {
		params.Set("state", state)
	}
	httpx.Logger(r.Context()).Info("authorization error", "error", string(e.ErrorType))
	return p.authResponse(w, r, redirectURI, mode, params)
}

type formParam struct{ Name, Value string }

// authResponse adds iss (RFC 9207) and delivers params by query (302) or form_post.
func (p *Provider) authResponse(w http.ResponseWriter, r *http.Request, redirectURI string, mode oidc.ResponseMode, params url.Values) error {
	params.Set("iss", p.issuer)
	if mode == oidc.ResponseModeFormPost {
		var fields []formParam
		for _, k := range []string{"code", "error", "error_description", "state", "iss"} {
			if v, ok := params[k]; ok {
				fields = append(fields, formParam{k, v[0]})
			}
		}
		return p.d.Pages.Render(w, http.StatusOK, "form_post.html", struct {
			RedirectURI string
			Params      []formParam
		}{redirectURI, fields})
	}
	sep := "?"
	if strings.Contains(redirectURI, "?") {
		sep = "&"
	}
	p.d.Pages.SecurityHeaders(w.Header())
	w.Header().Set("Location", redirectURI+sep+params.Encode())
	w.WriteHeader(http.StatusFound)
	return nil
}

// RedirectAllowed reports whether uri is one of the client's registered redirect URIs,
// compared as raw strings (no decoding, no case folding, no prefix or wildcard). A public
// (native) client's loopback http URI may differ in its port alone (RFC 8252 §7.3).
func RedirectAllowed(c client.Client, uri string) bool {
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	if c.Type != client.Public || !strings.HasPrefix(uri, "http://") {
		return false
	}
	got, err := url.Parse(uri)
	if err != nil || got.User != nil || !isLoopback(got.Hostname()) {
		return false
	}
	for _, reg := range c.RedirectURIs {
		ru, err := url.Parse(reg)
		if err != nil || ru.Scheme != "http" || !isLoopback(ru.Hostname()) || ru.Hostname() != got.Hostname() {
			continue
		}
		host := ru.Hostname()
		if got.Port() != "" {
			host = net.JoinHostPort(host, got.Port())
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if uri == strings.Replace(reg, "//"+ru.Host, "//"+host, 1) {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
