package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
)

type logoutPage struct{ ClientName, CSRF string }

// endSession implements OpenID RP-Initiated Logout 1.0. With an id_token_hint that Sesame
// signed that has not expired, naming the client, and either no
// post_logout_redirect_uri or one registered for that client (exact string), the browser
// session ends and the user is sent there with state. Otherwise Sesame never redirects:
// it asks the user to confirm on its own page.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !input.CleanForm(r.Form) || !logoutBounded(r.Form) {
		return errUnreadableForm
	}
	ctx := r.Context()
	hint, target := r.Form.Get("id_token_hint"), r.Form.Get("post_logout_redirect_uri")
	c, sub, ok := h.Hints.VerifyLogoutHint(ctx, hint, r.Form.Get("client_id"))
	if ok && target != "" && !slices.Contains(c.PostLogoutRedirectURIs, target) {
		ok = false
	}
	sid := h.Pages.Cookie(r, httpx.SessionCookie)
	sess, err := h.session(r, sid)
	if err != nil {
		return err
	}
	if sess != nil && ok && sess.UserID != sub {
		ok = false // the hint names another user than this browser's: ask
	}
	if !ok {
		return h.Pages.Render(w, http.StatusOK, "logout.html", logoutPage{ClientName: c.Name, CSRF: logoutCSRF(sid)})
	}
	if err := h.endBrowserSession(w, r, sess); err != nil {
		return err
	}
	if target == "" {
		return h.Pages.Render(w, http.StatusOK, "logged_out.html", nil)
	}
	params := url.Values{}
	if s := r.Form.Get("state"); s != "" {
		params.Set("state", s)
	}
	h.Pages.Redirect(w, http.StatusFound, target, params)
	return nil
}

// endSessionConfirm ends the session after the user confirmed on Sesame's page. The form
// carries a token derived from the session cookie, besides Go's cross-origin protection.
func (h *Handler) endSessionConfirm(w http.ResponseWriter, r *http.Request) error {
	sid := h.Pages.Cookie(r, httpx.SessionCookie)
	if !secret.Equal([]byte(r.PostFormValue("csrf")), []byte(logoutCSRF(sid))) {
		return login.ErrBadCSRF
	}
	sess, err := h.session(r, sid)
	if err != nil {
		return err
	}
	if err := h.endBrowserSession(w, r, sess); err != nil {
		return err
	}
	return h.Pages.Render(w, http.StatusOK, "logged_out.html", nil)
}

// session returns the browser's live session, or nil; a store that cannot tell fails.
func (h *Handler) session(r *http.Request, sid string) (*login.Session, error) {
	sess, err := h.Logins.Session(r.Context(), sid)
	switch {
	case errors.Is(err, login.ErrExpired):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sess, nil
}

func logoutCSRF(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString(secret.Digest("logout\x00" + sessionID))
}

// endBrowserSession ends the browser's session, if any, with the access tokens of the
// grants issued through it, and clears the cookie. The grants' refresh tokens (offline
// access) outlive it: OpenID Connect Core §11.
func (h *Handler) endBrowserSession(w http.ResponseWriter, r *http.Request, sess *login.Session) error {
	if sess != nil {
		grants, err := h.Logins.EndSession(r.Context(), *sess)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if err := h.Grants.RevokeIssuedAccessTokens(r.Context(), g); err != nil {
				return err
			}
		}
	}
	h.Pages.ClearCookie(w, httpx.SessionCookie)
	return nil
}

// logoutBounds are the largest logout parameters Sesame reads: state goes back in a
// Location header, the others are compared or verified. The same bounds as /authorize.
var logoutBounds = map[string]int{
	"id_token_hint": 8192, "post_logout_redirect_uri": 2048, "state": 2048, "client_id": 64,
	"logout_hint": 320, "ui_locales": 256,
}

// logoutBounded reports whether every logout parameter is within its bound.
func logoutBounded(f url.Values) bool {
	for name, max := range logoutBounds {
		if len(f.Get(name)) > max {
			return false
		}
	}
	return true
}
