// Package account owns users: their identity within an organization, their status, the
// password policy and argon2id password hashing.
package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
)

// PolicyError says which password rule a password broke.
type PolicyError struct{ Rule, Message string }

func (e *PolicyError) Error() string { return "password " + e.Message }

// Kind makes a broken password rule the caller's mistake.
func (e *PolicyError) Kind() kind.Kind { return kind.Invalid }

// Status is a user's lifecycle state.
type Status string

// User statuses.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
	StatusPending  Status = "pending" // created without a password: waits for first access
	StatusDeleted  Status = "deleted"
)

// User is a person who signs in.
type User struct {
	ID            uuid.UUID
	OrgID         uuid.UUID
	Email         string
	EmailVerified bool
	Name          string
	Status        Status
	PasswordHash  string // argon2id PHC string; "" for a user without a password
	CreatedAt     time.Time
}

// Errors callers branch on.
var (
	ErrNotFound   = kind.New(kind.NotFound, "user not found")
	ErrEmailTaken = kind.New(kind.Conflict, "email already registered")
	ErrInvalid    = kind.New(kind.Invalid, "invalid user")
)

// Store is the persistence the Service needs.
type Store interface {
	// OrgByID returns the live organization with id, its password policy override included.
	OrgByID(ctx context.Context, id uuid.UUID) (org.Organization, error)
	// SetOrgPasswordPolicy stores the organization's password policy override (JSON).
	SetOrgPasswordPolicy(ctx context.Context, id uuid.UUID, override json.RawMessage, now time.Time) error
	CreateUser(ctx context.Context, u User) error
	UsersByOrg(ctx context.Context, orgID uuid.UUID) ([]User, error)
	// SetUserStatus moves the user with email from status from (or already to) to status
	// to, or returns ErrNotFound (no such user, or in another status).
	SetUserStatus(ctx context.Context, email string, from, to Status, now time.Time) (User, error)
}

// Service manages users.
type Service struct {
	store  Store
	hasher *Hasher
	now    func() time.Time
	policy Policy // the deployment's password policy
}

// NewService returns a Service hashing passwords with hasher, under DefaultPolicy.
func NewService(store Store, hasher *Hasher, now func() time.Time) *Service {
	return &Service{store: store, hasher: hasher, now: now, policy: DefaultPolicy()}
}

// WithPolicy returns a copy of s whose deployment password policy is p.
func (s *Service) WithPolicy(p Policy) *Service {
	c := *s
	c.policy = p
	return &c
}

// Policy returns the password policy of the organization with orgID: the deployment's,
// tightened by the organization's override.
func (s *Service) Policy(ctx context.Context, orgID uuid.UUID) (Policy, org.Organization, error) {
	return orgPolicy(ctx, s.store, s.policy, orgID)
}

// orgPolicy is the policy of the organization with orgID under the deployment's policy.
func orgPolicy(ctx context.Context, orgs interface {
	OrgByID(ctx context.Context, id uuid.UUID) (org.Organization, error)
}, deployment Policy, orgID uuid.UUID) (Policy, org.Organization, error) {
	o, err := orgs.OrgByID(ctx, orgID)
	if err != nil {
		return Policy{}, org.Organization{}, err
	}
	p, err := deployment.ForOrg(o.PasswordPolicy)
	return p, o, err
}

// SetOrgPolicy stores override as the password policy override of the organization with
// orgID and returns the organization's resulting policy. The override may only be stricter
// than the deployment's policy (ErrLooserPolicy); a zero override removes it.
func (s *Service) SetOrgPolicy(ctx context.Context, orgID uuid.UUID, override Policy) (Policy, error) {
	p, err := s.policy.Override(override)
	if err != nil {
		return Policy{}, err
	}
	raw, err := json.Marshal(override)
	if err != nil {
		return Policy{}, err
	}
	if err := s.store.SetOrgPasswordPolicy(ctx, orgID, raw, s.now()); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// NewUser is the input of Create.
type NewUser struct {
	OrgID    uuid.UUID
	Email    string
	Name     string
	Password secret.Secret // empty: the user starts pending first access
}

// CheckPassword applies DefaultPolicy to a password without a subject. Any printable
// character is allowed, spaces included; control characters are not (sign-in refuses them:
// input.Clean).
func CheckPassword(pw secret.Secret) error { return DefaultPolicy().Check(pw, Subject{}) }

// NormalizeEmail checks that email is a bare address and returns it trimmed.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > 254 {
		return "", fmt.Errorf("%w: email must be a plain address like ada@example.com", ErrInvalid)
	}
	return email, nil
}

// Create registers a user. With a password the user is active; without one, pending.
func (s *Service) Create(ctx context.Context, in NewUser) (User, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case utf8.RuneCountInString(name) > 200:
		return User{}, fmt.Errorf("%w: name must be at most 200 characters", ErrInvalid)
	case !input.Clean(name):
		return User{}, fmt.Errorf("%w: name must be text without control characters", ErrInvalid)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, err
	}
	u := User{ID: id, OrgID: in.OrgID, Email: email, Name: name, Status: StatusPending, CreatedAt: s.now().UTC()}
	if !in.Password.IsZero() {
		p, o, err := s.Policy(ctx, in.OrgID)
		if err != nil {
			return User{}, err
		}
		if err := p.Check(in.Password, Subject{Email: email, OrgName: o.Name}); err != nil {
			return User{}, err
		}
		if u.PasswordHash, err = s.hasher.Hash(ctx, NormalizePassword(in.Password.Reveal())); err != nil {
			return User{}, err
		}
		u.Status = StatusActive
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// List returns the organization's users.
func (s *Service) List(ctx context.Context, orgID uuid.UUID) ([]User, error) {
	return s.store.UsersByOrg(ctx, orgID)
}

// ErrNotInState: the user exists but is not in the state the change starts from.
var ErrNotInState = kind.New(kind.Conflict, "the user is not in a state this change applies to")

// SetDisabled disables an active user (disabled true) or re-enables a disabled one; doing
// it again changes nothing and succeeds, so an interrupted disabling can be repeated. A
// disabled user cannot sign in; ending what they already hold (sessions, tokens) is the
// caller's part, since those live in other services' stores (app.SetUserDisabled).
func (s *Service) SetDisabled(ctx context.Context, email string, disabled bool) (User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	from, to := StatusActive, StatusDisabled
	if !disabled {
		from, to = to, from
	}
	u, err := s.store.SetUserStatus(ctx, email, from, to, s.now())
	if errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("%w: %s is not %s (or does not exist)", ErrNotInState, email, from)
	}
	return u, err
}
