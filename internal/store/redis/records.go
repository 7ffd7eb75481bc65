package redis

import (
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/token"
)

// The stored formats. They are this package's own, so a domain type can change without
// changing what is in Redis (or the other way round) by accident; the conversions are the
// only place the two meet.

type txRecord struct {
	ClientID            string      `json:"client_id"`
	RedirectURI         string      `json:"redirect_uri"`
	Scopes              []string    `json:"scopes"`
	State               string      `json:"state,omitempty"`
	Nonce               string      `json:"nonce,omitempty"`
	ResponseMode        string      `json:"response_mode,omitempty"`
	CodeChallenge       string      `json:"code_challenge"`
	CodeChallengeMethod string      `json:"code_challenge_method"`
	Prompt              []string    `json:"prompt,omitempty"`
	MaxAge              *uint       `json:"max_age,omitempty"`
	LoginHint           string      `json:"login_hint,omitempty"`
	HintSubject         string      `json:"hint_subject,omitempty"`
	ClientName          string      `json:"client_name"`
	ClientOrg           uuid.UUID   `json:"client_org"`
	AllowedOrgs         []uuid.UUID `json:"allowed_orgs,omitempty"`
	AnyOrg              bool        `json:"any_org,omitempty"`
	OtherOrgSession     bool        `json:"other_org_session,omitempty"`
	Lifetimes           lifetimes   `json:"lifetimes"`
	CSRF                string      `json:"csrf"`
	BindingHash         []byte      `json:"binding_hash"`
	CreatedAt           time.Time   `json:"created_at"`
	UserID              string      `json:"user_id,omitempty"`
	OrgID               string      `json:"org_id,omitempty"`
	Passed              []string    `json:"passed,omitempty"`
	AuthTime            time.Time   `json:"auth_time,omitzero"`
	Attempts            int         `json:"attempts,omitempty"`
}

type lifetimes struct {
	AccessTokenFormat  string        `json:"access_token_format"`
	AccessTokenTTL     time.Duration `json:"access_token_ttl"`
	IDTokenTTL         time.Duration `json:"id_token_ttl"`
	RefreshIdleTTL     time.Duration `json:"refresh_idle_ttl"`
	RefreshAbsoluteTTL time.Duration `json:"refresh_absolute_ttl"`
}

func lifetimesRecord(l client.Lifetimes) lifetimes {
	return lifetimes{l.AccessTokenFormat, l.AccessTokenTTL, l.IDTokenTTL, l.RefreshIdleTTL, l.RefreshAbsoluteTTL}
}

func (l lifetimes) domain() client.Lifetimes {
	return client.Lifetimes{AccessTokenFormat: l.AccessTokenFormat, AccessTokenTTL: l.AccessTokenTTL,
		IDTokenTTL: l.IDTokenTTL, RefreshIdleTTL: l.RefreshIdleTTL, RefreshAbsoluteTTL: l.RefreshAbsoluteTTL}
}

func steps(in []login.Step) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func loginSteps(in []string) []login.Step {
	out := make([]login.Step, len(in))
	for i, s := range in {
		out[i] = login.Step(s)
	}
	return out
}

func transactionRecord(t login.Transaction) txRecord {
	r := t.Request
	return txRecord{
		ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes, State: r.State, Nonce: r.Nonce,
		ResponseMode: r.ResponseMode, CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod,
		Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint, HintSubject: r.HintSubject,
		ClientName: t.Client.Name, Lifetimes: lifetimesRecord(t.Client.Lifetimes),
		ClientOrg: t.Client.OrgID, AllowedOrgs: t.Client.AllowedOrgs, AnyOrg: t.Client.AnyOrg,
		OtherOrgSession: t.OtherOrgSession,
		CSRF:            t.CSRF, BindingHash: t.BindingHash, CreatedAt: t.CreatedAt,
		UserID: t.UserID, OrgID: t.OrgID, Passed: steps(t.Passed), AuthTime: t.AuthTime, Attempts: t.Attempts,
	}
}

func (r txRecord) domain(id string) login.Transaction {
	return login.Transaction{
		ID: id,
		Request: login.Request{
			ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes, State: r.State, Nonce: r.Nonce,
			ResponseMode: r.ResponseMode, CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod,
			Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint, HintSubject: r.HintSubject,
		},
		Client: login.Client{Name: r.ClientName, Lifetimes: r.Lifetimes.domain(),
			Audience: client.Audience{OrgID: r.ClientOrg, AllowedOrgs: r.AllowedOrgs, AnyOrg: r.AnyOrg}},
		CSRF: r.CSRF, BindingHash: r.BindingHash, CreatedAt: r.CreatedAt, OtherOrgSession: r.OtherOrgSession,
		UserID: r.UserID, OrgID: r.OrgID, Passed: loginSteps(r.Passed), AuthTime: r.AuthTime, Attempts: r.Attempts,
	}
}

type codeRecord struct {
	GrantID             string    `json:"grant_id"`
	ClientID            string    `json:"client_id"`
	RedirectURI         string    `json:"redirect_uri"`
	Scopes              []string  `json:"scopes"`
	Nonce               string    `json:"nonce,omitempty"`
	CodeChallenge       string    `json:"code_challenge"`
	CodeChallengeMethod string    `json:"code_challenge_method"`
	UserID              string    `json:"user_id"`
	OrgID               uuid.UUID `json:"org_id"`
	AuthTime            time.Time `json:"auth_time"`
	AMR                 []string  `json:"amr"`
	ACR                 string    `json:"acr,omitempty"`
	Lifetimes           lifetimes `json:"lifetimes"`
}

func authorizationRecord(a token.Authorization) codeRecord {
	return codeRecord{
		GrantID: a.GrantID, ClientID: a.ClientID, RedirectURI: a.RedirectURI, Scopes: a.Scopes, Nonce: a.Nonce,
		CodeChallenge: a.CodeChallenge, CodeChallengeMethod: a.CodeChallengeMethod, UserID: a.UserID,
		OrgID: a.OrgID, AuthTime: a.AuthTime, AMR: a.AMR, ACR: a.ACR, Lifetimes: lifetimesRecord(a.Lifetimes),
	}
}

func (r codeRecord) domain() token.Authorization {
	return token.Authorization{
		GrantID: r.GrantID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes, Nonce: r.Nonce,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, UserID: r.UserID,
		OrgID: r.OrgID, AuthTime: r.AuthTime, AMR: r.AMR, ACR: r.ACR, Lifetimes: r.Lifetimes.domain(),
	}
}

type accessRecord struct {
	ClientID  string    `json:"client_id"`
	ClientOrg uuid.UUID `json:"client_org"`
	OrgID     uuid.UUID `json:"org_id"`
	Subject   string    `json:"sub"`
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"aud"`
	GrantID   string    `json:"grant_id,omitempty"`
	ExpiresAt time.Time `json:"exp"`
}

func accessTokenRecord(t token.AccessToken) accessRecord {
	return accessRecord{ClientID: t.ClientID, ClientOrg: t.ClientOrg, OrgID: t.OrgID, Subject: t.Subject, Scopes: t.Scopes, Audience: t.Audience,
		GrantID: t.GrantID, ExpiresAt: t.ExpiresAt}
}

func (r accessRecord) domain(id string) token.AccessToken {
	return token.AccessToken{ID: id, ClientID: r.ClientID, ClientOrg: r.ClientOrg, OrgID: r.OrgID, Subject: r.Subject, Scopes: r.Scopes,
		Audience: r.Audience, GrantID: r.GrantID, ExpiresAt: r.ExpiresAt}
}
