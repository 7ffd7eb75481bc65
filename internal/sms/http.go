package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// HTTPConfig configures the HTTP provider.
type HTTPConfig struct {
	BaseURL   string        // e.g. https://api.twilio.com/2010-04-01; https unless the host is loopback
	AccountID string        // the account the messages are sent from; also the basic-auth user
	Token     secret.Secret // the basic-auth password
	From      string        // the sender: an E.164 number or an alphanumeric sender ID
	Timeout   time.Duration // of the whole request, answer included
}

// HTTP sends messages through a provider's Messages REST API: a form-encoded POST of To,
// From and Body to <BaseURL>/Accounts/<AccountID>/Messages.json with HTTP basic auth.
type HTTP struct {
	endpoint string
	account  string
	token    secret.Secret
	from     string
	client   *http.Client
	timeout  time.Duration
}

// maxAnswer bounds how much of the provider's answer is read.
const maxAnswer = 16 << 10

// NewHTTP checks c and returns the provider.
func NewHTTP(c HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("sms: base URL must be an absolute URL without user info, query or fragment")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || (u.Hostname() != "localhost" && !client.IsLoopbackIP(u.Hostname()))) {
		return nil, errors.New("sms: base URL must use https (http only for a loopback host)")
	}
	if !validAccount(c.AccountID) {
		return nil, errors.New("sms: account ID must be 1 to 64 letters, digits, '-' or '_'")
	}
	if c.Token.IsZero() {
		return nil, errors.New("sms: token is required")
	}
	if c.From == "" || len(c.From) > 32 {
		return nil, errors.New("sms: sender must be 1 to 32 bytes")
	}
	if c.Timeout <= 0 {
		return nil, errors.New("sms: timeout must be positive")
	}
	return &HTTP{
		endpoint: strings.TrimSuffix(u.String(), "/") + "/Accounts/" + c.AccountID + "/Messages.json",
		account:  c.AccountID,
		token:    c.Token,
		from:     c.From,
		timeout:  c.Timeout,
		client: &http.Client{
			Timeout: c.Timeout,
			// A redirect would carry the credentials elsewhere or turn the POST into a GET:
			// the provider's API does not redirect, so a 3xx is an answer (Unavailable).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func validAccount(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Send posts m. A 2xx answer means sent. A 4xx answer is kind.Invalid (the provider refused
// the message, e.g. a number it cannot reach), except 401, 403, 404 and 429, which are the
// deployment's problem (credentials, account, provider rate limit) and, like a 5xx, a
// timeout or a connection error, kind.Unavailable. Errors never hold the token or the body.
func (h *HTTP) Send(ctx context.Context, m Message) error {
	if !ValidE164(m.To) {
		return ErrPhone
	}
	if m.Body == "" || len(m.Body) > MaxBody {
		return kind.New(kind.Invalid, fmt.Sprintf("sms: body must be 1 to %d bytes", MaxBody))
	}
	form := url.Values{"To": {m.To}, "From": {h.from}, "Body": {m.Body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return kind.Wrap(kind.Internal, errors.New("sms: cannot build the request"))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(h.account, h.token.Reveal())
	resp, err := h.client.Do(req)
	if err != nil {
		// The *url.Error would be safe (the URL holds neither token nor body), but its
		// text varies; say what happened instead.
		if ctx.Err() != nil {
			return kind.Wrap(kind.Unavailable, fmt.Errorf("sms: provider request abandoned: %w", ctx.Err()))
		}
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			return kind.New(kind.Unavailable, fmt.Sprintf("sms: provider did not answer within %s", h.timeout))
		}
		return kind.New(kind.Unavailable, "sms: cannot reach the provider")
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		return nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden || s == http.StatusNotFound || s == http.StatusTooManyRequests:
		return kind.New(kind.Unavailable, fmt.Sprintf("sms: provider answered %d%s: check the account ID, token and base URL", s, providerCode(answer)))
	case s >= 400 && s <= 499:
		return kind.New(kind.Invalid, fmt.Sprintf("sms: provider refused the message: %d%s", s, providerCode(answer)))
	default:
		return kind.New(kind.Unavailable, fmt.Sprintf("sms: provider answered %d%s", s, providerCode(answer)))
	}
}

// providerCode returns the numeric error code of the provider's JSON answer, if any: the
// answer's message text is not quoted, as it may echo what was sent.
func providerCode(answer []byte) string {
	var e struct {
		Code json.Number `json:"code"`
	}
	if json.Unmarshal(answer, &e) != nil || e.Code == "" {
		return ""
	}
	if _, err := e.Code.Int64(); err != nil {
		return ""
	}
	return " (provider code " + e.Code.String() + ")"
}
