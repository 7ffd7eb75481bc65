// Package org owns organizations: the tenants every user and client belongs to, their
// slugs, and (in later issues) their roles and policies.
package org

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
)

// Organization is a tenant.
type Organization struct {
	ID        uuid.UUID
	Name      string
	Slug      string
	CreatedAt time.Time
	// PasswordPolicy is the organization's password policy override (JSON of an
	// account.Policy, stricter than the deployment's), nil for none.
	PasswordPolicy json.RawMessage
}

// Store is the persistence the Service needs.
type Store interface {
	CreateOrg(ctx context.Context, o Organization) error
	OrgBySlug(ctx context.Context, slug string) (Organization, error)
	Orgs(ctx context.Context) ([]Organization, error)
}

// Service manages organizations.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// Errors callers branch on.
var (
	ErrNotFound  = kind.New(kind.NotFound, "organization not found")
	ErrSlugTaken = kind.New(kind.Conflict, "organization slug already taken")
	ErrInvalid   = kind.New(kind.Invalid, "invalid organization")
)

var slugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Create registers an organization. The slug is the stable, URL-safe name used by the CLI
// and the admin API.
func (s *Service) Create(ctx context.Context, name, slug string) (Organization, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Organization{}, fmt.Errorf("%w: name must not be empty", ErrInvalid)
	case utf8.RuneCountInString(name) > 200:
		return Organization{}, fmt.Errorf("%w: name must be at most 200 characters", ErrInvalid)
	case !input.Clean(name):
		return Organization{}, fmt.Errorf("%w: name must be text without control characters", ErrInvalid)
	case !slugRE.MatchString(slug):
		return Organization{}, fmt.Errorf("%w: slug must be 1-63 lower-case letters, digits or inner hyphens", ErrInvalid)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Organization{}, err
	}
	o := Organization{ID: id, Name: name, Slug: slug, CreatedAt: s.now().UTC()}
	if err := s.store.CreateOrg(ctx, o); err != nil {
		return Organization{}, err
	}
	return o, nil
}

// BySlug returns the organization with slug, or ErrNotFound.
func (s *Service) BySlug(ctx context.Context, slug string) (Organization, error) {
	if !slugRE.MatchString(slug) {
		return Organization{}, ErrNotFound
	}
	return s.store.OrgBySlug(ctx, slug)
}

// List returns every organization, oldest first.
func (s *Service) List(ctx context.Context) ([]Organization, error) {
	return s.store.Orgs(ctx)
}
