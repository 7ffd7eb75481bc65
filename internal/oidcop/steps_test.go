package oidcop_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

const testStep login.Step = "test-step"

// A login passes its steps in the policy's order, each once, and the callback issues a
// code only when login.Next says Done: here the password, then a step of the test's own.
func TestOrderedSteps(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Steps: []login.Step{testStep}})
	ctx := context.Background()
	verifier, challenge := pkce()
	b := newBrowser(t, h.URL)
	id := b.startLogin(t, authParams(h.Web.ID, testserver.WebCB, challenge))
	bind := b.cookie(httpx.BindingCookie)
	if bind == "" {
		t.Fatal("GET /authorize set no binding cookie")
	}
	passed := func() []login.Step {
		t.Helper()
		tx, err := h.Logins.Transaction(ctx, id, bind)
		if err != nil {
			t.Fatalf("Transaction(%s) = %v", id, err)
		}
		return tx.Passed
	}

	// (a) The test step cannot run before the password.
	if _, err := h.Logins.Pass(ctx, id, bind, testStep, nil); !errors.Is(err, login.ErrOutOfOrder) {
		t.Fatalf("Pass(%s) before the password = %v, want ErrOutOfOrder", testStep, err)
	}
	if got := passed(); len(got) != 0 {
		t.Fatalf("after the refused step, passed = %v, want none", got)
	}

	// (b) After the password alone the login is not done: no code, back to the login page.
	form := b.loginForm(t, id)
	if r := b.post(t, "/login", form); r.status != http.StatusSeeOther || r.location() != "/login?id="+id {
		t.Fatalf("POST /login = %v, want 303 to /login?id=%s", r, id)
	}
	r := b.get(t, "/authorize/callback?id="+id)
	if r.status != http.StatusFound || r.location() != "/login?id="+id || strings.Contains(r.location(), "code=") {
		t.Fatalf("GET /authorize/callback after the password only = %v, want 302 to /login?id=%s", r, id)
	}
	if r := b.post(t, "/login", form); r.status != http.StatusBadRequest || !strings.Contains(r.body, "out of order") {
		t.Fatalf("second password POST = %v, want 400 out of order", r)
	}
	if got, want := passed(), []login.Step{login.StepPassword}; !slices.Equal(got, want) {
		t.Fatalf("passed = %v, want %v", got, want)
	}

	// (d) Fifty concurrent attempts at the test step: exactly one passes it.
	if n := passConcurrently(t, h.Logins, id, bind, 50); n != 1 {
		t.Fatalf("%d of 50 concurrent Pass(%s) succeeded, want exactly 1", n, testStep)
	}
	if got, want := passed(), []login.Step{login.StepPassword, testStep}; !slices.Equal(got, want) {
		t.Fatalf("after the concurrent steps, passed = %v, want %v", got, want)
	}

	// (c) Done: the callback issues the code, which exchanges for tokens.
	q := answered(t, b.get(t, "/authorize/callback?id="+id), testserver.WebCB, h.URL)
	if q.Get("code") == "" {
		t.Fatalf("callback after every step: redirect parameters %v, want a code", q)
	}
	tr, tok := tokenPost(t, h.URL, h.Web, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {testserver.WebCB}, "code_verifier": {verifier}})
	if tr.status != http.StatusOK || tok["access_token"] == nil || tok["id_token"] == nil {
		t.Fatalf("code exchange = %v, want 200 with access and ID tokens", tr)
	}
}

// passConcurrently has n goroutines, released together, pass the test step of transaction
// id; it checks that every loser was refused as out of order and returns the successes.
func passConcurrently(t *testing.T, logins *login.Service, id, bind string, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan error, n)
	testenv.Together(n, func(int) {
		_, err := logins.Pass(ctx, id, bind, testStep, nil)
		errs <- err
	})
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, login.ErrOutOfOrder):
			t.Errorf("concurrent Pass(%s) = %v, want nil or ErrOutOfOrder", testStep, err)
		}
	}
	return ok
}
