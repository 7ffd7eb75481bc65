package oidcop

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
)

// endSession implements OpenID RP-Initiated Logout 1.0. With an id_token_hint that Sesame
// signed (an expired one is fine), naming the client, and either no
// post_logout_redirect_uri or one registered for that client (exact string), the browser
// session ends and the user is sent there with state. Otherwise Sesame never redirects:
// it asks the user to confirm and shows its own page.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Invalid request", "The sign-out request could not be read.")
		return nil
	}
	hint, target := r.Form.Get("id_token_hint"), r.Form.Get("post_logout_redirect_uri")
	c, sub, ok := p.verifiedHint(r, hint, r.Form.Get("client_id"))
	if ok && target != "" && !slices.Contains(c.PostLogoutRedirectURIs, target) {
		ok = false
	}
	sid := p.d.Pages.Cookie(r, httpx.SessionCookie)
	sess, live := p.session(r)
	if live && ok && sess.UserID != sub {
		ok = false // the hint names another user than this browser's: ask
	}
	if !ok {
		return p.d.Pages.Render(w, http.StatusOK, "logout.html", struct{ ClientName, CSRF string }{
			ClientName: c.Name, CSRF: logoutCSRF(sid),
		})
	}
	if err := p.endBrowserSession(w, r, sess.UserID); err != nil {
		return err
	}
	if target == "" {
		return p.d.Pages.Render(w, http.StatusOK, "logged_out.html", nil)
	}
	params := url.Values{}
	if s := r.Form.Get("state"); s != "" {
		params.Set("state", s)
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	loc := target
	if len(params) > 0 {
		loc += sep + params.Encode()
	}
	p.d.Pages.SecurityHeaders(w.Header())
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
	return nil
}

// verifiedHint checks an id_token_hint: signed by one of Sesame's published keys (never
// alg none), issued by this issuer, for a registered client that matches client_id when
// given. It returns the client and subject.
func (p *Provider) verifiedHint(r *http.Request, hint, clientID string) (client.Client, string, bool) {
	if hint == "" {
		return client.Client{}, "", false
	}
	claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](r.Context(), hint, p.op.IDTokenHintVerifier(r.Context()))
	if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
		httpx.Logger(r.Context()).Info("end session: id_token_hint refused", "err", err)
		return client.Client{}, "", false
	}
	if claims == nil || len(claims.Audience) != 1 || (clientID != "" && clientID != claims.Audience[0]) {
		return client.Client{}, "", false
	}
	c, err := p.d.Clients.ByClientID(r.Context(), claims.Audience[0])
	if err != nil {
		return client.Client{}, "", false
	}
	return c, claims.Subject, true
}

// endSessionConfirm ends the session after the user confirmed on Sesame's page. The form
// carries a token derived from the session cookie, besides Go's cross-origin protection.
func (p *Provider) endSessionConfirm(w http.ResponseWriter, r *http.Request) error {
	sid := p.d.Pages.Cookie(r, httpx.SessionCookie)
	if !secret.Equal([]byte(r.PostFormValue("csrf")), []byte(logoutCSRF(sid))) {
		p.d.Pages.Error(w, r, http.StatusBadRequest, "Sign-out refused", "The sign-out form expired. Try again.")
		return nil
	}
	sess, _ := p.session(r)
	if err := p.endBrowserSession(w, r, sess.UserID); err != nil {
		return err
	}
	return p.d.Pages.Render(w, http.StatusOK, "logged_out.html", nil)
}

func logoutCSRF(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString(secret.Digest("logout\x00" + sessionID))
}

// endBrowserSession ends the browser's session (userID: its user, "" when unknown) and
// clears the cookie.
func (p *Provider) endBrowserSession(w http.ResponseWriter, r *http.Request, userID string) error {
	if sid := p.d.Pages.Cookie(r, httpx.SessionCookie); sid != "" {
		if err := p.d.Sessions.DeleteSession(r.Context(), sid, userID); err != nil {
			return err
		}
	}
	p.d.Pages.ClearCookie(w, httpx.SessionCookie)
	return nil
}
