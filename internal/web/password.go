package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
)

// PathPassword is the signed-in user's password change page.
const PathPassword = "/account/password"

// Passwords changes a signed-in user's password (account.Authenticator).
type Passwords interface {
	ChangePassword(ctx context.Context, userID uuid.UUID, current, next secret.Secret) error
}

// RefreshTokens revokes a user's refresh tokens (token.Refresh).
type RefreshTokens interface {
	RevokeUser(ctx context.Context, userID uuid.UUID) error
}

type passwordPage struct {
	CSRF, Error string
	Done        bool
}

// passwordForm shows the password change form to the signed-in user.
func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request) error {
	sid := h.Pages.Cookie(r, httpx.SessionCookie)
	if _, err := h.signedIn(r, sid); err != nil {
		return err
	}
	return h.Pages.Render(w, http.StatusOK, "password.html", passwordPage{CSRF: passwordCSRF(sid)})
}

// passwordSubmit changes the password: the current one is required, the new one must pass
// the password rules; on success every other browser session of the user ends and every
// refresh token of the user is revoked (what the old password opened elsewhere), this
// browser stays signed in.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errUnreadableForm
	}
	ctx, sid := r.Context(), h.Pages.Cookie(r, httpx.SessionCookie)
	sess, err := h.signedIn(r, sid)
	if err != nil {
		return err
	}
	if !secret.Equal([]byte(r.PostForm.Get("csrf")), []byte(passwordCSRF(sid))) {
		return login.ErrBadCSRF
	}
	page := passwordPage{CSRF: passwordCSRF(sid)}
	userID, err := uuid.Parse(sess.UserID)
	if err != nil {
		return err
	}
	// Guessing the current password from a stolen session meets the same lockout as the
	// sign-in form, counted under the user (this page knows the user, not a typed email).
	att, err := h.Lockout.Begin(ctx, "user:"+sess.UserID, "")
	if locked := (*login.LockedError)(nil); errors.As(err, &locked) {
		httpx.Logger(ctx).Warn("password change refused: locked out", "event", "lockout_refused", "user_id", sess.UserID, "wait", locked.Wait)
		page.Error = "Too many wrong passwords. Wait " + login.HumanWait(locked.Wait) + " and try again."
		return h.Pages.Render(w, http.StatusBadRequest, "password.html", page)
	}
	if err != nil {
		return err
	}
	err = h.Passwords.ChangePassword(ctx, userID, secret.New(r.PostForm.Get("current")), secret.New(r.PostForm.Get("new")))
	if err == nil || !errors.Is(err, account.ErrBadCredentials) {
		if err := h.Lockout.Succeeded(ctx, att); err != nil {
			return err
		}
	}
	var rule *account.PolicyError
	switch {
	case errors.Is(err, account.ErrBadCredentials), errors.Is(err, account.ErrMalformedCredentials):
		page.Error = "The current password is not right."
	case errors.As(err, &rule):
		page.Error = "The new " + rule.Error() + "."
	case err != nil:
		return err
	}
	if page.Error != "" {
		httpx.Logger(ctx).Info("password change refused", "user_id", sess.UserID)
		return h.Pages.Render(w, http.StatusBadRequest, "password.html", page)
	}
	if err := h.Logins.EndOtherSessions(ctx, sess); err != nil {
		return err
	}
	if err := h.Refresh.RevokeUser(ctx, userID); err != nil {
		return err
	}
	httpx.Logger(ctx).Info("password changed", "user_id", sess.UserID)
	page.Done = true
	return h.Pages.Render(w, http.StatusOK, "password.html", page)
}

// signedIn returns the browser's live session, or login.ErrNoSession.
func (h *Handler) signedIn(r *http.Request, sid string) (login.Session, error) {
	sess, err := h.session(r, sid)
	if err != nil {
		return login.Session{}, err
	}
	if sess == nil {
		return login.Session{}, login.ErrNoSession
	}
	return *sess, nil
}

func passwordCSRF(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString(secret.Digest("password\x00" + sessionID))
}
