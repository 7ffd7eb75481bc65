// Package login owns the login transaction and the browser session. A transaction is one
// authorization request waiting for the user, plus the steps the user has passed so far;
// Next is the single place that decides what comes next, and every step is an atomic
// transition of the stored transaction. A browser session is the user signed in at Sesame
// (SSO); the Service creates, touches, checks and ends sessions with lifetimes fixed when
// it is built.
package login

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// TransactionLifetime bounds a pending login (the user's time to sign in): anyone may start
// one, and each holds a few KiB of Redis until it expires.
const TransactionLifetime = 10 * time.Minute

// MaxAttempts bounds the submissions of a transaction's step forms (each password costs an
// argon2id verification): after ten, the transaction is dead and the user starts again at
// the application.
const MaxAttempts = 10

// Step names one step of the login pipeline.
type Step string

// Steps Sesame knows. The next issues add second factors, enrolment and consent.
const (
	StepPassword Step = "password"
	// Done is what Next returns when every required step has passed.
	Done Step = ""
)

// amrOf is the RFC 8176 authentication method each step proves.
var amrOf = map[Step]string{StepPassword: "pwd"}

// Policy is the ordered list of steps a login must pass.
type Policy struct{ Steps []Step }

// Request is the authorization request a transaction serves: what the relying party asked.
type Request struct {
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *uint  // seconds; 0 after prompt=login
	LoginHint           string // shown in the email field
	HintSubject         string // sub of a valid id_token_hint: only that user may answer
}

// Client is what later steps need of the client, copied at /authorize so that no step
// reads the client again.
type Client struct {
	Name      string
	Lifetimes client.Lifetimes
	client.Audience
}

// Transaction is a login in progress.
type Transaction struct {
	ID          string
	Request     Request
	Client      Client
	CSRF        string // the token every step's form carries
	BindingHash []byte // SHA-256 of the browser binding cookie
	CreatedAt   time.Time
	// OtherOrgSession: the browser's session is of a user the client does not accept (another
	// organization's); the login page says so and asks for another account.
	OtherOrgSession bool

	// Set by the steps.
	UserID   string
	OrgID    string
	Passed   []Step
	AuthTime time.Time // when the first step that identified the user passed
	Attempts int       // step form submissions counted by Service.Attempt
}

// Errors callers branch on.
var (
	// ErrExpired: the transaction does not exist (expired, finished, or never started).
	ErrExpired = kind.New(kind.NotFound, "login transaction expired or unknown")
	// ErrOtherBrowser: the transaction was started by another browser.
	ErrOtherBrowser = kind.New(kind.Forbidden, "login transaction bound to another browser")
	// ErrOutOfOrder: a step was attempted before the steps it depends on, or again.
	ErrOutOfOrder = kind.New(kind.Conflict, "login step out of order")
	// ErrBadCSRF: a step's form did not carry the transaction's CSRF token.
	ErrBadCSRF = kind.New(kind.Forbidden, "login form token mismatch")
	// ErrNotHintedUser: the relying party named a user (id_token_hint) and another one signed
	// in (OpenID Connect Core §3.1.2.1).
	ErrNotHintedUser = kind.New(kind.Forbidden, "signed-in user is not the one the id_token_hint names")
	// ErrOtherOrg: the user belongs to an organization the client does not accept
	// (client.Audience).
	ErrOtherOrg = kind.New(kind.Forbidden, "this account cannot sign in to the application")
	// ErrNoSession: a page for the signed-in user was asked for without a live session.
	ErrNoSession = kind.New(kind.Forbidden, "not signed in")
	// ErrTooManyAttempts: the transaction's step forms were submitted MaxAttempts times.
	ErrTooManyAttempts = kind.New(kind.Forbidden, "too many attempts in one login transaction")
)

// accepts reports whether the transaction's client accepts a user of organization org
// (a UUID string).
func (t Transaction) accepts(org string) bool {
	id, err := uuid.Parse(org)
	return err == nil && t.Client.Accepts(id)
}

// Spent reports whether the transaction used all its attempts: no step form is accepted
// any more, and a step not passed yet never will be.
func (t Transaction) Spent() bool { return t.Attempts >= MaxAttempts }

// Has reports whether step s has passed.
func (t Transaction) Has(s Step) bool { return slices.Contains(t.Passed, s) }

// BoundTo reports whether the transaction was started by the browser holding the binding
// cookie value cookie (compared as SHA-256, in constant time).
func (t Transaction) BoundTo(cookie string) bool {
	return cookie != "" && secret.Equal(secret.Digest(cookie), t.BindingHash)
}

// CheckCSRF returns ErrBadCSRF unless presented is the transaction's form token (compared
// in constant time).
func (t Transaction) CheckCSRF(presented string) error {
	if t.CSRF == "" || !secret.Equal([]byte(presented), []byte(t.CSRF)) {
		return ErrBadCSRF
	}
	return nil
}

// AMR returns the RFC 8176 methods the passed steps prove, in the order they passed.
func (t Transaction) AMR() []string { return amr(t.Passed) }

// ACR returns the assurance level the passed steps reach (NIST SP 800-63B): "aal2" with
// two different factors, "aal1" with one, "" with none.
func (t Transaction) ACR() string { return acr(t.Passed) }

func amr(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		if m, ok := amrOf[s]; ok && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func acr(steps []Step) string {
	switch n := len(amr(steps)); {
	case n >= 2:
		return "aal2"
	case n == 1:
		return "aal1"
	}
	return ""
}

// Next is the single place that decides what a login does next: the first step of the
// policy the transaction has not passed, or Done. Nothing issues a code unless Next says
// Done, and no step runs unless Next names it.
func Next(t Transaction, p Policy) Step {
	for _, s := range p.Steps {
		if !t.Has(s) {
			return s
		}
	}
	return Done
}
