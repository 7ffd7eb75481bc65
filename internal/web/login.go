package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
)

type loginPage struct {
	RequestID, CSRF, ClientName, Email, Error string
}

// loginRequest loads the request a login page serves and checks it belongs to this
// browser; on failure it has already written the error page.
func (h *Handler) loginRequest(w http.ResponseWriter, r *http.Request, id string) (grant.AuthRequest, bool, error) {
	g, err := h.Requests.AuthRequest(r.Context(), id)
	if errors.Is(err, grant.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired. Return to the application and try again.")
		return g, false, nil
	}
	if err != nil {
		return g, false, err
	}
	if !g.BoundTo(h.Pages.Cookie(r, httpx.BindingCookie)) {
		h.Pages.Error(w, r, http.StatusBadRequest, "Sign-in refused", "This sign-in was started in another browser. Return to the application and start again here.")
		return g, false, nil
	}
	return g, true, nil
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, g grant.AuthRequest, email, msg string) error {
	name := ""
	if c, err := h.Clients.ByClientID(r.Context(), g.ClientID); err == nil {
		name = c.Name
	}
	return h.Pages.Render(w, http.StatusOK, "login.html", loginPage{
		RequestID: g.ID, CSRF: g.CSRF, ClientName: name, Email: email, Error: msg,
	})
}

// loginPage shows the sign-in form.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	g, ok, err := h.loginRequest(w, r, r.URL.Query().Get("id"))
	if !ok {
		return err
	}
	return h.render(w, r, g, g.LoginHint, "")
}

// loginSubmit checks the password. Unknown email and wrong password get the same page,
// status and message, and the same work (a dummy argon2id verification). Success starts a
// new session (a fresh ID: no fixation), marks the request done and continues with 303.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return nil
	}
	g, ok, err := h.loginRequest(w, r, r.PostForm.Get("id"))
	if !ok {
		return err
	}
	if !secret.Equal([]byte(r.PostForm.Get("csrf")), []byte(g.CSRF)) {
		h.Pages.Error(w, r, http.StatusBadRequest, "Sign-in refused", "The form expired. Return to the application and try again.")
		return nil
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	u, err := h.Authenticator.Authenticate(r.Context(), email, secret.New(r.PostForm.Get("password")))
	if errors.Is(err, account.ErrBadCredentials) {
		httpx.Logger(r.Context()).Info("login failed", "email", email)
		return h.render(w, r, g, email, "Invalid email or password")
	}
	if err != nil {
		return err
	}
	now := h.Now()
	// A login replaces whatever session this browser had: new ID, no fixation.
	if old := h.Pages.Cookie(r, httpx.SessionCookie); old != "" {
		_ = h.Sessions.DeleteSession(r.Context(), old, "")
	}
	sid := secret.Token()
	sess := grant.Session{ID: sid.Reveal(), UserID: u.ID.String(), OrgID: u.OrgID.String(), AuthTime: now,
		AMR: []string{"pwd"}, CreatedAt: now, LastSeen: now}
	if err := h.Sessions.CreateSession(r.Context(), sess, h.Lifetimes); err != nil {
		return err
	}
	h.Pages.SetCookie(w, httpx.SessionCookie, sid.Reveal(), 0)
	g.UserID, g.AuthTime, g.AMR, g.Done = sess.UserID, now, sess.AMR, true
	if err := h.Requests.SaveAuthRequest(r.Context(), g); err != nil {
		return err
	}
	httpx.Logger(r.Context()).Info("login succeeded", "user_id", u.ID.String(), "client_id", g.ClientID)
	http.Redirect(w, r, h.CallbackPath+"?id="+url.QueryEscape(g.ID), http.StatusSeeOther)
	return nil
}
