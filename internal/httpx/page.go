package httpx

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Pages renders HTML pages with Sesame's security headers.
type Pages struct {
	t      *template.Template
	secure bool // the issuer is https: HSTS and Secure cookies
}

// NewPages returns a renderer over parsed templates.
func NewPages(t *template.Template, secure bool) *Pages { return &Pages{t: t, secure: secure} }

// csp forbids inline script, framing, plugins and base-URI tricks; scripts and styles come
// only from Sesame itself.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every page carries.
func (p *Pages) SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if p.secure {
		h.Set("Strict-Transport-Security", hsts)
	}
}

// Render executes page into a buffer and writes it with status only if it succeeded.
func (p *Pages) Render(w http.ResponseWriter, status int, page string, data any) error {
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, page, data); err != nil {
		return err
	}
	p.SecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// Redirect sends the browser to target (Sesame's own path, or a URI already checked against
// a registration) with params added to its query, with status (302, or 303 after a POST)
// and the pages' security headers.
func (p *Pages) Redirect(w http.ResponseWriter, status int, target string, params url.Values) {
	if len(params) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + params.Encode()
	}
	p.SecurityHeaders(w.Header())
	w.Header().Set("Location", target)
	w.WriteHeader(status)
}

// ErrorPage is the data of error.html.
type ErrorPage struct {
	Title, Message, RequestID string
}

// Cookie names and attributes: HttpOnly, SameSite=Lax, Path=/, and over https Secure with
// the __Host- prefix (no Domain, so no subdomain can set or read it).
func (p *Pages) cookieName(base string) string {
	if p.secure {
		return "__Host-" + base
	}
	return base
}

// SetCookie sets cookie base to value for maxAge (0: a browser-session cookie).
func (p *Pages) SetCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: p.cookieName(base), Value: value, Path: "/", HttpOnly: true,
		Secure: p.secure, SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// Cookie returns cookie base's value, or "".
func (p *Pages) Cookie(r *http.Request, base string) string {
	c, err := r.Cookie(p.cookieName(base))
	if err != nil {
		return ""
	}
	return c.Value
}

// ClearCookie deletes cookie base.
func (p *Pages) ClearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{Name: p.cookieName(base), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
}

// Cookies Sesame sets.
const (
	SessionCookie = "sesame_session" // browser session (SSO)
	BindingCookie = "sesame_bind"    // binds login transactions to the browser that started them
	DeviceCookie  = "sesame_device"  // names the users who signed in on this browser (login.Lockout)
)
