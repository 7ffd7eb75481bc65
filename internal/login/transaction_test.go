package login_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
)

// stepExtra stands for a second step the policy may require (a second factor, consent):
// Next treats every step the same, whatever it is.
const stepExtra login.Step = "extra"

func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy []login.Step
		passed []login.Step
		want   login.Step
	}{
		{name: "empty policy is done at once", policy: nil, passed: nil, want: login.Done},
		{name: "nothing passed", policy: []login.Step{login.StepPassword}, passed: nil, want: login.StepPassword},
		{name: "only step passed", policy: []login.Step{login.StepPassword}, passed: []login.Step{login.StepPassword}, want: login.Done},
		{name: "first of two", policy: []login.Step{login.StepPassword, stepExtra}, passed: nil, want: login.StepPassword},
		{name: "second of two", policy: []login.Step{login.StepPassword, stepExtra}, passed: []login.Step{login.StepPassword}, want: stepExtra},
		{name: "both of two", policy: []login.Step{login.StepPassword, stepExtra}, passed: []login.Step{login.StepPassword, stepExtra}, want: login.Done},
		// An SSO session adopted for a stricter policy: what it lacks comes next.
		{name: "a later step alone does not skip the first", policy: []login.Step{login.StepPassword, stepExtra}, passed: []login.Step{stepExtra}, want: login.StepPassword},
		{name: "a step outside the policy counts for nothing", policy: []login.Step{login.StepPassword}, passed: []login.Step{stepExtra}, want: login.StepPassword},
		{name: "order of passing does not matter once all passed", policy: []login.Step{login.StepPassword, stepExtra}, passed: []login.Step{stepExtra, login.StepPassword}, want: login.Done},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := login.Next(login.Transaction{Passed: tt.passed}, login.Policy{Steps: tt.policy})
			if got != tt.want {
				t.Errorf("Next(passed %q, policy %q) = %q, want %q", tt.passed, tt.policy, got, tt.want)
			}
		})
	}
}

func TestAMRACR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		passed  []login.Step
		wantAMR []string
		wantACR string
	}{
		{name: "nothing passed", passed: nil, wantAMR: []string{}, wantACR: ""},
		{name: "password", passed: []login.Step{login.StepPassword}, wantAMR: []string{"pwd"}, wantACR: "aal1"},
		// aal2 needs two *different* factors: one factor recorded twice is still aal1.
		{name: "password twice", passed: []login.Step{login.StepPassword, login.StepPassword}, wantAMR: []string{"pwd"}, wantACR: "aal1"},
		// A step that proves no authentication method (consent, enrolment) adds nothing.
		{name: "password and a step proving no method", passed: []login.Step{login.StepPassword, stepExtra}, wantAMR: []string{"pwd"}, wantACR: "aal1"},
		{name: "only a step proving no method", passed: []login.Step{stepExtra}, wantAMR: []string{}, wantACR: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx := login.Transaction{Passed: tt.passed}
			if diff := cmp.Diff(tt.wantAMR, tx.AMR()); diff != "" {
				t.Errorf("Transaction{Passed: %q}.AMR() mismatch (-want +got):\n%s", tt.passed, diff)
			}
			if got := tx.ACR(); got != tt.wantACR {
				t.Errorf("Transaction{Passed: %q}.ACR() = %q, want %q", tt.passed, got, tt.wantACR)
			}
		})
	}
}

func TestSatisfies(t *testing.T) {
	t.Parallel()
	authTime := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	age := func(s uint) *uint { return &s }
	sess := login.Session{UserID: "user-a", AuthTime: authTime}
	tests := []struct {
		name string
		req  login.Request
		now  time.Time
		want bool
	}{
		{name: "no max_age, no hint", req: login.Request{}, now: authTime.Add(1000 * time.Hour), want: true},
		{name: "within max_age", req: login.Request{MaxAge: age(60)}, now: authTime.Add(59 * time.Second), want: true},
		{name: "exactly max_age", req: login.Request{MaxAge: age(60)}, now: authTime.Add(60 * time.Second), want: true},
		{name: "a nanosecond past max_age", req: login.Request{MaxAge: age(60)}, now: authTime.Add(60*time.Second + 1), want: false},
		// prompt=login arrives as max_age=0: even a sign-in this instant does not do.
		{name: "max_age=0 at auth_time", req: login.Request{MaxAge: age(0)}, now: authTime, want: false},
		{name: "max_age=0 later", req: login.Request{MaxAge: age(0)}, now: authTime.Add(time.Second), want: false},
		{name: "hint names the session's user", req: login.Request{HintSubject: "user-a"}, now: authTime, want: true},
		{name: "hint names another user", req: login.Request{HintSubject: "user-b"}, now: authTime, want: false},
		{name: "hint names another user, within max_age", req: login.Request{HintSubject: "user-b", MaxAge: age(60)}, now: authTime, want: false},
		{name: "hint names the user, past max_age", req: login.Request{HintSubject: "user-a", MaxAge: age(60)}, now: authTime.Add(time.Hour), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sess.Satisfies(tt.req, tt.now); got != tt.want {
				t.Errorf("Satisfies(%+v) at auth_time+%s = %v, want %v", tt.req, tt.now.Sub(authTime), got, tt.want)
			}
		})
	}
}

func TestCheckCSRF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		csrf      string
		presented string
		want      error
	}{
		{name: "match", csrf: "token-123", presented: "token-123", want: nil},
		{name: "mismatch", csrf: "token-123", presented: "token-124", want: login.ErrBadCSRF},
		{name: "prefix", csrf: "token-123", presented: "token-12", want: login.ErrBadCSRF},
		{name: "missing", csrf: "token-123", presented: "", want: login.ErrBadCSRF},
		// A transaction without a token accepts no form, not least an empty one.
		{name: "both empty", csrf: "", presented: "", want: login.ErrBadCSRF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := login.Transaction{CSRF: tt.csrf}.CheckCSRF(tt.presented)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Transaction{CSRF: %q}.CheckCSRF(%q) = %v, want %v", tt.csrf, tt.presented, err, tt.want)
			}
		})
	}
}

func TestBoundTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		binding []byte
		cookie  string
		want    bool
	}{
		{name: "same cookie", binding: secret.Digest("cookie-a"), cookie: "cookie-a", want: true},
		{name: "other cookie", binding: secret.Digest("cookie-a"), cookie: "cookie-b", want: false},
		{name: "no cookie", binding: secret.Digest("cookie-a"), cookie: "", want: false},
		// A transaction begun without a cookie is bound to no browser, not to every one
		// that has none.
		{name: "begun without a cookie, presented none", binding: secret.Digest(""), cookie: "", want: false},
		{name: "no binding", binding: nil, cookie: "cookie-a", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (login.Transaction{BindingHash: tt.binding}).BoundTo(tt.cookie); got != tt.want {
				t.Errorf("BoundTo(%q) = %v, want %v", tt.cookie, got, tt.want)
			}
		})
	}
}
