package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/clientip"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
)

var (
	errUnreadableForm = kind.New(kind.Invalid, "form unreadable")
	// errCrossOrigin: Go's cross-origin protection refused a state-changing request.
	errCrossOrigin = kind.New(kind.Forbidden, "cross-origin request refused")
	// errNoPage: the policy names a step this server has no page for (a configuration error).
	errNoPage = errors.New("no page for the next login step")
)

type loginPage struct {
	RequestID, CSRF, ClientName, Email, Error string
}

// loginPage runs the transaction's next step: the password form, or the callback once
// the login is done.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	tx, err := h.Logins.Transaction(r.Context(), r.URL.Query().Get("id"), h.Pages.Cookie(r, httpx.BindingCookie))
	if err != nil {
		return err
	}
	switch h.Logins.Next(tx) {
	case login.StepPassword:
		if tx.Spent() {
			return login.ErrTooManyAttempts
		}
		msg := ""
		if tx.OtherOrgSession {
			msg = otherOrgMessage(tx)
		}
		return h.renderLogin(w, tx, tx.Request.LoginHint, msg)
	case login.Done:
		h.Pages.Redirect(w, http.StatusFound, h.CallbackPath, url.Values{"id": {tx.ID}})
		return nil
	}
	return errNoPage
}

func (h *Handler) renderLogin(w http.ResponseWriter, tx login.Transaction, email, msg string) error {
	return h.Pages.Render(w, http.StatusOK, "login.html", loginPage{
		RequestID: tx.ID, CSRF: tx.CSRF, ClientName: tx.Client.Name, Email: email, Error: msg,
	})
}

// otherOrgMessage: the account belongs to an organization the application does not accept.
func otherOrgMessage(tx login.Transaction) string {
	return "This account cannot sign in to " + tx.Client.Name + ". Sign in with another account."
}

// loginSubmit is the password step. Unknown email and wrong password get the same page,
// status and message, and the same work (a dummy argon2id verification). Each submission
// counts against the transaction's MaxAttempts before the password is hashed.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errUnreadableForm
	}
	// Failed sign-ins per client IP, across all accounts: each attempt is counted before
	// anything is checked, atomically (parallel attempts cannot all pass one check), and
	// given back when it signs in; a spent budget is a 429.
	ip := clientip.From(r.Context()).String()
	if err := h.Failures.Take(r.Context(), ip); err != nil {
		return err
	}
	ctx, id, binding := r.Context(), r.PostForm.Get("id"), h.Pages.Cookie(r, httpx.BindingCookie)
	// Binding and form token are checked before the attempt is counted (nobody else can
	// spend the user's attempts), the attempt before the password (argon2id never runs for a
	// request that would be refused); Pass checks binding and order again inside its atomic
	// update.
	tx, err := h.Logins.Transaction(ctx, id, binding)
	if err != nil {
		return err
	}
	if err := tx.CheckCSRF(r.PostForm.Get("csrf")); err != nil {
		return err
	}
	if tx, err = h.Logins.Attempt(ctx, id, binding, login.StepPassword); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	// The lockout counts the attempt before the password is checked, in one atomic step: a
	// class in its delay is refused whatever the password, and a store that cannot count
	// fails the request (503), never lets it through unchecked.
	att, err := h.Lockout.Begin(ctx, email, h.Pages.Cookie(r, httpx.DeviceCookie))
	if locked := (*login.LockedError)(nil); errors.As(err, &locked) {
		httpx.Logger(ctx).Warn("login refused: locked out", "event", "lockout_refused", "email", account.LogIdentifier(email),
			"class", string(att.Class), "failures", att.Failures, "wait", locked.Wait)
		if tx.Spent() {
			return login.ErrTooManyAttempts
		}
		return h.renderLogin(w, tx, email, "Too many failed sign-ins. Wait "+login.HumanWait(locked.Wait)+" and try again.")
	}
	if err != nil {
		return err
	}
	u, err := h.Authenticator.Authenticate(ctx, email, secret.New(r.PostForm.Get("password")))
	if errors.Is(err, account.ErrBadCredentials) {
		// The address only when it is one: a password typed into the email field stays out.
		httpx.Logger(ctx).Info("login failed", "email", account.LogIdentifier(email), "attempts", tx.Attempts)
		if att.Delay > 0 {
			httpx.Logger(ctx).Warn("login locked out", "event", "lockout", "email", account.LogIdentifier(email),
				"class", string(att.Class), "failures", att.Failures, "delay", att.Delay)
		}
		if tx.Spent() {
			return login.ErrTooManyAttempts
		}
		return h.renderLogin(w, tx, email, "Invalid email or password")
	}
	if err != nil {
		return err
	}
	if err := h.Lockout.Succeeded(ctx, att); err != nil {
		return err
	}
	if err := h.Failures.Refund(ctx, ip); err != nil {
		return err
	}
	passed, err := h.Logins.Pass(ctx, id, binding, login.StepPassword, &login.Identity{UserID: u.ID.String(), OrgID: u.OrgID.String()})
	if errors.Is(err, login.ErrOtherOrg) {
		// The password was right, so this tells nothing to someone who does not hold it.
		// The page is the transaction read above: a refused Pass returns none, and the form
		// needs its ID and CSRF token for another account to sign in.
		httpx.Logger(ctx).Info("login refused: organization not accepted", "user_id", u.ID.String(), "client_id", tx.Request.ClientID)
		return h.renderLogin(w, tx, "", otherOrgMessage(tx))
	}
	if err != nil {
		return err
	}
	httpx.Logger(ctx).Info("login step passed", "step", string(login.StepPassword), "user_id", passed.UserID, "client_id", passed.Request.ClientID)
	h.Pages.SetCookie(w, httpx.DeviceCookie, h.Lockout.DeviceCookie(email), login.DeviceCookieLifetime)
	return h.advance(w, r, passed)
}

// advance continues a transaction after a step passed: when it is done, a fresh browser
// session replaces the old one (new ID: no fixation) and the callback issues the code;
// otherwise the login page runs the next step. 303: the browser follows with GET.
func (h *Handler) advance(w http.ResponseWriter, r *http.Request, tx login.Transaction) error {
	next := PathLogin
	if h.Logins.Next(tx) == login.Done {
		sess, err := h.Logins.StartSession(r.Context(), tx, h.Pages.Cookie(r, httpx.SessionCookie))
		if err != nil {
			return err
		}
		h.Pages.SetCookie(w, httpx.SessionCookie, sess.ID, 0)
		next = h.CallbackPath
	}
	h.Pages.Redirect(w, http.StatusSeeOther, next, url.Values{"id": {tx.ID}})
	return nil
}
