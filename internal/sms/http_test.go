package sms

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

const (
	testAccount = "AC0123456789abcdef"
	testToken   = "tok-7f3a9c-never-shown"
	testCode    = "Your Sesame code is 493817"
)

// fake is a local stand-in for the provider's Messages API: it records each request and
// answers with status and answer.
type fake struct {
	mu       sync.Mutex
	requests []fakeRequest
	status   int
	answer   string
	hang     bool
}

type fakeRequest struct {
	method, path, contentType string
	user, pass                string
	authOK                    bool
	form                      map[string][]string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	_ = r.ParseForm()
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), user, pass, ok, r.PostForm})
	status, answer, hang := f.status, f.answer, f.hang
	f.mu.Unlock()
	if hang {
		<-r.Context().Done() // until the client gives up
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func start(t *testing.T, f *fake, timeout time.Duration) *HTTP {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	h, err := NewHTTP(HTTPConfig{BaseURL: srv.URL + "/2010-04-01", AccountID: testAccount, Token: secret.New(testToken), From: "+15005550006", Timeout: timeout})
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	return h
}

func TestHTTPSendRequest(t *testing.T) {
	f := &fake{status: http.StatusCreated, answer: `{"sid":"SM1","status":"queued"}`}
	h := start(t, f, 5*time.Second)
	if err := h.Send(context.Background(), Message{To: "+447700900123", Body: testCode}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("provider got %d requests, want 1", len(f.requests))
	}
	r := f.requests[0]
	if r.method != http.MethodPost || r.path != "/2010-04-01/Accounts/"+testAccount+"/Messages.json" {
		t.Errorf("request = %s %s, want POST /2010-04-01/Accounts/%s/Messages.json", r.method, r.path, testAccount)
	}
	if r.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", r.contentType)
	}
	if !r.authOK || r.user != testAccount || r.pass != testToken {
		t.Errorf("basic auth = %q:%q (present %v), want the account ID and token", r.user, r.pass, r.authOK)
	}
	want := map[string]string{"To": "+447700900123", "From": "+15005550006", "Body": testCode}
	for k, v := range want {
		if got := r.form[k]; len(got) != 1 || got[0] != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(r.form) != len(want) {
		t.Errorf("form = %v, want only To, From and Body", r.form)
	}
}

func TestHTTPSendErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		answer string
		want   kind.Kind
	}{
		{"invalid number", 400, `{"code":21211,"message":"The 'To' number +447700900123 is not valid. ` + testCode + `"}`, kind.Invalid},
		{"unprocessable", 422, `not json ` + testToken, kind.Invalid},
		{"bad credentials", 401, `{"code":20003}`, kind.Unavailable},
		{"forbidden", 403, ``, kind.Unavailable},
		{"wrong account", 404, ``, kind.Unavailable},
		{"provider rate limit", 429, ``, kind.Unavailable},
		{"provider down", 500, `{"code":20500}`, kind.Unavailable},
		{"bad gateway", 502, `<html>` + testToken + `</html>`, kind.Unavailable},
		{"redirect", 302, ``, kind.Unavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, &fake{status: c.status, answer: c.answer}, 5*time.Second)
			err := h.Send(context.Background(), Message{To: "+447700900123", Body: testCode})
			if kind.Of(err) != c.want {
				t.Fatalf("Send with a %d answer = %v (kind %v), want kind %v", c.status, err, kind.Of(err), c.want)
			}
			noSecrets(t, err)
		})
	}
}

func TestHTTPProviderCodeQuoted(t *testing.T) {
	h := start(t, &fake{status: 400, answer: `{"code":21211,"message":"bad"}`}, 5*time.Second)
	err := h.Send(context.Background(), Message{To: "+447700900123", Body: testCode})
	if err == nil || !strings.Contains(err.Error(), "21211") || strings.Contains(err.Error(), "bad") {
		t.Errorf("Send = %v, want the provider's code 21211 without its message", err)
	}
}

// A provider that never answers must not hold the login: the request ends at the timeout.
func TestHTTPSendTimeout(t *testing.T) {
	h := start(t, &fake{hang: true}, 200*time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- h.Send(context.Background(), Message{To: "+447700900123", Body: testCode}) }()
	select {
	case err := <-done:
		if !kind.Is(err, kind.Unavailable) {
			t.Fatalf("Send to a hanging provider = %v, want kind Unavailable", err)
		}
		noSecrets(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Send to a hanging provider did not return")
	}
}

func TestHTTPSendCanceled(t *testing.T) {
	h := start(t, &fake{hang: true}, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := h.Send(ctx, Message{To: "+447700900123", Body: testCode})
	if !kind.Is(err, kind.Unavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v, want kind Unavailable wrapping context.Canceled", err)
	}
}

func TestHTTPSendUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	h, err := NewHTTP(HTTPConfig{BaseURL: url, AccountID: testAccount, Token: secret.New(testToken), From: "Sesame", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = h.Send(context.Background(), Message{To: "+447700900123", Body: testCode})
	if !kind.Is(err, kind.Unavailable) {
		t.Fatalf("Send to a closed port = %v, want kind Unavailable", err)
	}
	noSecrets(t, err)
}

func TestHTTPSendRefusesBeforeSending(t *testing.T) {
	f := &fake{status: 201}
	h := start(t, f, 5*time.Second)
	for _, m := range []Message{
		{To: "07700900123", Body: testCode},
		{To: "+447700900123", Body: ""},
		{To: "+447700900123", Body: strings.Repeat("x", MaxBody+1)},
	} {
		if err := h.Send(context.Background(), m); !kind.Is(err, kind.Invalid) {
			t.Errorf("Send(to %q, %d-byte body) = %v, want kind Invalid", m.To, len(m.Body), err)
		}
	}
	if len(f.requests) != 0 {
		t.Errorf("provider got %d requests for refused messages, want 0", len(f.requests))
	}
}

func TestNewHTTPValidates(t *testing.T) {
	good := HTTPConfig{BaseURL: "https://api.example.com/2010-04-01", AccountID: testAccount, Token: secret.New(testToken), From: "+15005550006", Timeout: time.Second}
	if _, err := NewHTTP(good); err != nil {
		t.Fatalf("NewHTTP(good) = %v", err)
	}
	for name, mutate := range map[string]func(*HTTPConfig){
		"http on a public host": func(c *HTTPConfig) { c.BaseURL = "http://api.example.com" },
		"user info":             func(c *HTTPConfig) { c.BaseURL = "https://u:p@api.example.com" },
		"query":                 func(c *HTTPConfig) { c.BaseURL = "https://api.example.com/?x=1" },
		"relative":              func(c *HTTPConfig) { c.BaseURL = "/2010-04-01" },
		"account with a slash":  func(c *HTTPConfig) { c.AccountID = "AC1/../x" },
		"no account":            func(c *HTTPConfig) { c.AccountID = "" },
		"no token":              func(c *HTTPConfig) { c.Token = secret.Secret{} },
		"no sender":             func(c *HTTPConfig) { c.From = "" },
		"no timeout":            func(c *HTTPConfig) { c.Timeout = 0 },
	} {
		c := good
		mutate(&c)
		if _, err := NewHTTP(c); err == nil {
			t.Errorf("NewHTTP with %s = nil error, want refused", name)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("NewHTTP with %s: error %q holds the token", name, err)
		}
	}
	loop := good
	loop.BaseURL = "http://127.0.0.1:9/x"
	if _, err := NewHTTP(loop); err != nil {
		t.Errorf("NewHTTP(http on loopback) = %v, want accepted", err)
	}
}

func noSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{testToken, testCode, "493817"} {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds %q", err, s)
		}
	}
}

// A redirect is an answer, not followed: the credentials and the code never reach another host.
func TestHTTPNoRedirect(t *testing.T) {
	elsewhere := &fake{status: 201}
	other := httptest.NewServer(elsewhere)
	t.Cleanup(other.Close)
	h := start(t, &fake{}, 5*time.Second)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	h.endpoint = redirector.URL + "/Accounts/" + testAccount + "/Messages.json"
	err := h.Send(context.Background(), Message{To: "+447700900123", Body: testCode})
	if !kind.Is(err, kind.Unavailable) {
		t.Errorf("Send answered by a redirect = %v, want kind Unavailable", err)
	}
	elsewhere.mu.Lock()
	defer elsewhere.mu.Unlock()
	if len(elsewhere.requests) != 0 {
		t.Errorf("the redirect was followed: the other host got %d requests", len(elsewhere.requests))
	}
}
