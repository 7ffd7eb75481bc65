package oidcop

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/token"
)

// errUnreadable: the authorization request could not be parsed, is too large, or holds a
// parameter that is not clean text.
var errUnreadable = kind.New(kind.Invalid, "authorization request unreadable")

// Bounds on what an authorization request may make Sesame store (the transaction lives in
// Redis for login.TransactionLifetime, and anyone may start one). maxStoredRequest bounds
// the whole request as JSON, the form it is stored in, escaping included: within the
// bounds of its parts only a long registered redirect URI or values full of characters JSON
// escapes (<, >, &: six bytes each) come near it.
const (
	maxState         = 2048
	maxNonce         = 512
	maxLoginHint     = 320
	maxStoredRequest = 8 << 10
)

// challengeRE is an S256 code_challenge: base64url of 32 bytes (RFC 7636 §4.2).
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

var supportedPrompts = []string{oidc.PromptNone, oidc.PromptLogin, oidc.PromptConsent, oidc.PromptSelectAccount}

// known returns the values of in that keep says Sesame knows, each once, in order.
func known(in []string, keep func(string) bool) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if keep(v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// authorize handles GET and POST /authorize. Until the client and redirect URI are known
// good, every error is Sesame's own page (never a redirect); after, protocol errors go back
// to the client's redirect URI with iss (RFC 9207), and Sesame's own failures (a store
// down) are its error page.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	// A parameter with a NUL byte, a control character or invalid UTF-8 is never stored,
	// looked up or sent back to the client, nor is an oversized state.
	if err != nil || len(req.State) > maxState || !input.CleanForm(r.Form) {
		return errUnreadable
	}
	c, err := p.d.Clients.ByClientID(ctx, req.ClientID)
	if err != nil {
		return err
	}
	if !c.RedirectAllowed(req.RedirectURI) {
		return client.ErrRedirectURI
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
	case !challengeRE.MatchString(req.CodeChallenge):
		return fail(oidc.ErrInvalidRequest().WithDescription("code_challenge must be the base64url SHA-256 of the verifier (43 characters)"))
	case !slices.Contains(req.Scopes, oidc.ScopeOpenID):
		return fail(oidc.ErrInvalidScope().WithDescription("the openid scope is required"))
	case len(req.Nonce) > maxNonce, len(req.LoginHint) > maxLoginHint:
		return fail(oidc.ErrInvalidRequest().WithDescription("nonce or login_hint is too long"))
	}
	// Only what Sesame knows, once each: a transaction's size does not follow the request's.
	scopes := c.Grantable(req.Scopes) // openid is among them: checked above

	prompts := known(req.Prompt, func(s string) bool { return slices.Contains(supportedPrompts, s) })
	maxAge, err := op.ValidateAuthReqPrompt(req.Prompt, req.MaxAge)
	if err != nil {
		return fail(oidc.DefaultToServerError(err, "invalid prompt"))
	}
	hintSub, err := op.ValidateAuthReqIDTokenHint(ctx, req.IDTokenHint, p.op.IDTokenHintVerifier(ctx))
	if err != nil || (req.IDTokenHint != "" && jwtType(req.IDTokenHint) != typIDToken) {
		return fail(oidc.ErrLoginRequired().WithDescription("the id_token_hint is invalid"))
	}
	// Valid, but by POST: the browser's cookies come with the same request by GET (asGet).
	if r.Method == http.MethodPost {
		return p.asGet(w, req, scopes, prompts)
	}

	lr := login.Request{
		ClientID: c.ClientID, RedirectURI: req.RedirectURI, Scopes: scopes, State: req.State, Nonce: req.Nonce,
		ResponseMode: string(req.ResponseMode), CodeChallenge: req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod), Prompt: prompts, MaxAge: maxAge,
		LoginHint: req.LoginHint, HintSubject: hintSub,
	}
	if b, err := json.Marshal(lr); err != nil || len(b) > maxStoredRequest {
		return fail(oidc.ErrInvalidRequest().WithDescription("the authorization request is too large"))
	}
	tx, err := p.d.Logins.Begin(lr, login.Client{Name: c.Name, Lifetimes: c.Lifetimes, Audience: c.Audience}, p.binding(w, r))
	if err != nil {
		return err
	}
	// SSO: a live session that satisfies prompt, max_age and the hint answers for the user,
	// if the client accepts the user's organization (Adopt); Next then says whether anything
	// more is needed. A store that cannot tell fails closed.
	sess, err := p.d.Logins.Session(ctx, p.d.Pages.Cookie(r, httpx.SessionCookie))
	switch {
	case err == nil && sess.Satisfies(lr, p.d.Now()):
		tx = p.d.Logins.Adopt(tx, sess)
	case err != nil && !errors.Is(err, login.ErrExpired):
		return err
	}
	if p.d.Logins.Next(tx) == login.Done {
		return p.issueCode(w, r, tx, sess.ID, p.d.Codes.IssueCode)
	}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return fail(oidc.ErrLoginRequired())
	}
	if err := p.d.Logins.Save(ctx, tx); err != nil {
		return err
	}
	p.d.Pages.Redirect(w, http.StatusFound, p.cfg.LoginPath, url.Values{"id": {tx.ID}})
	return nil
}

// binding returns this browser's binding value, setting the cookie when absent. Every
// login transaction stores its SHA-256; every step and the callback refuse a transaction
// whose hash does not match the browser's cookie.
func (p *Provider) binding(w http.ResponseWriter, r *http.Request) string {
	if v := p.d.Pages.Cookie(r, httpx.BindingCookie); len(v) == 43 {
		return v
	}
	v := secret.Token().Reveal()
	p.d.Pages.SetCookie(w, httpx.BindingCookie, v, 0)
	return v
}

// callback finishes a transaction in the browser that started it, and only when Next says
// it is done; otherwise it sends the browser back to the login page for the next step.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) error {
	tx, err := p.d.Logins.Transaction(r.Context(), r.URL.Query().Get("id"), p.d.Pages.Cookie(r, httpx.BindingCookie))
	if err != nil {
		return err
	}
	if p.d.Logins.Next(tx) != login.Done {
		p.d.Pages.Redirect(w, http.StatusFound, p.cfg.LoginPath, url.Values{"id": {tx.ID}})
		return nil
	}
	return p.issueCode(w, r, tx, p.d.Pages.Cookie(r, httpx.SessionCookie), p.d.Codes.FinishTransaction)
}

// issueCode issues the code for the finished transaction in hand (256 random bits, kept in
// Redis only as SHA-256) with one Redis write, store (which for a stored transaction also
// consumes it), records the grant under the browser session it came through (a logout
// revokes its access tokens), and sends the code to the client.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, tx login.Transaction, sessionID string,
	store func(context.Context, string, token.Authorization) error) error {
	q := tx.Request
	a := token.Authorization{
		GrantID: tx.ID, ClientID: q.ClientID, RedirectURI: q.RedirectURI, Scopes: q.Scopes, Nonce: q.Nonce,
		CodeChallenge: q.CodeChallenge, CodeChallengeMethod: q.CodeChallengeMethod, UserID: tx.UserID,
		AuthTime: tx.AuthTime, AMR: tx.AMR(), ACR: tx.ACR(), Lifetimes: tx.Client.Lifetimes,
	}
	org, err := uuid.Parse(tx.OrgID)
	if err != nil {
		return err
	}
	a.OrgID = org
	code := secret.Token().Reveal()
	if err := store(r.Context(), code, a); err != nil {
		return err
	}
	if sessionID != "" {
		if err := p.d.Logins.RecordGrant(r.Context(), sessionID, tx.ID); err != nil {
			return err
		}
	}
	params := url.Values{"code": {code}}
	if q.State != "" {
		params.Set("state", q.State)
	}
	return p.authResponse(w, r, q.RedirectURI, oidc.ResponseMode(q.ResponseMode), params)
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

// authResponse adds iss (RFC 9207) and delivers params by query (302) or form_post.
func (p *Provider) authResponse(w http.ResponseWriter, r *http.Request, redirectURI string, mode oidc.ResponseMode, params url.Values) error {
	params.Set("iss", p.issuer)
	if mode == oidc.ResponseModeFormPost {
		return p.formPost(w, redirectURI, params)
	}
	p.d.Pages.Redirect(w, http.StatusFound, redirectURI, params)
	return nil
}
