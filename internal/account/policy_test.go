package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testenv"
)

// Each rule of the password policy refuses with its own rule and message, and only it: the
// table runs the default policy, the nist preset and adjusted policies against passwords
// that break one rule each, plus ones that pass.
func TestPolicyRules(t *testing.T) {
	t.Parallel()
	def := account.DefaultPolicy()
	nist := account.NISTPolicy()
	noBlocklist := account.Policy{MinLength: 10, MaxLength: 128}
	fourClasses := def
	fourClasses.MinClasses = 4
	long := def
	long.MaxLength = 256
	ada := account.Subject{Email: "ada.lovelace@example.com", OrgName: "Globex Corporation"}
	twoFactor := ada
	twoFactor.SecondFactor = true
	mixed := "Aa1!"
	tests := []struct {
		name   string
		policy account.Policy
		subj   account.Subject
		pw     string
		rule   string // "" when the password passes
	}{
		// The four the issue names: accepted before the policy, each refused by its rule.
		{"password12 is common", def, ada, "password12", "common"},
		{"1234567890 is common", def, ada, "1234567890", "common"},
		{"aaaaaaaaaa has one class", def, ada, "aaaaaaaaaa", "classes"},
		{"the organization's own name", def, ada, "Globex Corporation", "org_name"},

		{"passes", def, ada, "Correct horse battery 7", ""},
		{"invalid UTF-8", def, ada, "Correct horse\xff 7", "encoding"},
		{"NUL", def, ada, "Correct\x00horse 7", "control"},
		{"tab", def, ada, "Correct\thorse 7", "control"},
		{"over 1,024 bytes, before the length", long, ada, strings.Repeat("😀", 256) + "A", "max_bytes"},
		{"256 characters, 1,015 bytes", long, ada, strings.Repeat("😀", 253) + "Aa1", ""},
		{"9 characters", def, ada, "Abcdef12!", "min_length"},
		{"10 characters", def, ada, "Abcdef123!", ""},
		{"128 characters", def, ada, strings.Repeat(mixed, 32), ""},
		{"129 characters", def, ada, strings.Repeat(mixed, 32) + "x", "max_length"},
		{"a raised maximum", long, ada, strings.Repeat(mixed, 32) + "x", ""},
		// Counted in code points after NFKC: 10 é typed as e + combining acute are 10
		// characters (20 code points before normalization), 9 are too few.
		{"decomposed accents count once", def, ada, strings.Repeat("e\u0301", 9) + "A1", ""},
		{"decomposed accents, too short", def, ada, strings.Repeat("e\u0301", 8), "min_length"},
		{"non-ASCII, 10 code points", def, ada, "Ééééééééé1", ""},
		{"common, other case", def, ada, "PassWord12", "common"},
		{"common, full-width (NFKC)", def, ada, "ｐａｓｓｗｏｒｄ１２", "common"},
		{"common, no blocklist", noBlocklist, ada, "123456789.", ""},
		{"common, blocklist", def, ada, "123456789.", "common"},
		{"email local part", def, ada, "xx Ada.Lovelace 7", "email"},
		{"email word", def, ada, "I love LOVELACE 77", "email"},
		{"email local part without separators", def, ada, "adalovelace#1A", "email"},
		{"short email word allowed", def, ada, "Adamant Gr8 tree", ""},
		{"org name, other case", def, ada, "my GLOBEX corporation 1", "org_name"},
		{"org word", def, ada, "Hello Globex 2024", "org_name"},
		{"org name without spaces", def, ada, "GlobexCorporation1", "org_name"},
		{"no subject", def, account.Subject{}, "Globex Corporation 1", ""},
		{"two classes", def, ada, "correct horse battery", "classes"},
		{"three classes", def, ada, "Correct horse battery", ""},
		{"three of four required", fourClasses, ada, "Correct horse battery", "classes"},
		{"four classes", fourClasses, ada, "Correct horse battery 7", ""},
		{"letters without case count as other", def, ada, "パスワードはabc1ok", ""},
		{"nist: 14 characters", nist, ada, "abcdefghijklmn", "min_length"},
		{"nist: one class, 15 characters", nist, ada, "abcdefghijklmno", ""},
		{"nist: passphrase", nist, ada, "correct horse battery staple", ""},
		{"nist: common", nist, ada, "123456789987654321", "common"},
		{"nist, second factor: 8", nist, twoFactor, "tribunal", ""},
		{"nist, second factor: 7", nist, twoFactor, "tribuna", "min_length"},
		{"default, second factor: still 10", def, twoFactor, "Tribunal1", "min_length"},
	}
	for _, tt := range tests {
		err := tt.policy.Check(secret.New(tt.pw), tt.subj)
		var pe *account.PolicyError
		switch {
		case tt.rule == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.name, err)
		case tt.rule != "" && (!errors.As(err, &pe) || pe.Rule != tt.rule):
			t.Errorf("%s: %v, want rule %s", tt.name, err, tt.rule)
		case tt.rule != "" && !kind.Is(err, kind.Invalid):
			t.Errorf("%s: %v is not the caller's mistake", tt.name, err)
		}
	}
}

// Every rule has its own message, and CheckPassword is the default policy.
func TestPolicyMessages(t *testing.T) {
	t.Parallel()
	subj := account.Subject{Email: "ada@example.com", OrgName: "Globex"}
	want := map[string]string{
		"password12":               "password is one of the most commonly used passwords: choose another",
		"aaaaaaaaaa":               "password must mix at least 3 of: lower-case letters, upper-case letters, digits, symbols",
		"Globex 2024 rocks!":       "password must not contain the organization's name",
		"Ada 2024 rocks!":          "password must not contain the name of your email address",
		"Short1!":                  "password must be at least 10 characters",
		strings.Repeat("Aa1", 43):  "password must be at most 128 characters",
		strings.Repeat("é", 513):   "password must be at most 1024 bytes",
		"Correct\nhorse battery 7": "password must not contain control characters",
	}
	for pw, msg := range want {
		if err := account.DefaultPolicy().Check(secret.New(pw), subj); err == nil || err.Error() != msg {
			t.Errorf("Check(%.20q) = %v, want %q", pw, err, msg)
		}
	}
	if err := account.CheckPassword(secret.New("1234567890")); err == nil {
		t.Error("CheckPassword accepted 1234567890")
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"default", "nist"} {
		p, ok := account.Preset(name)
		if !ok || p.Validate() != nil {
			t.Errorf("preset %s: %v, %v", name, ok, p.Validate())
		}
	}
	if _, ok := account.Preset("lax"); ok {
		t.Error("Preset accepted an unknown name")
	}
	bad := map[string]account.Policy{
		"min below 8":               {MinLength: 7, MaxLength: 128},
		"max below 64":              {MinLength: 10, MaxLength: 63},
		"max over 256":              {MinLength: 10, MaxLength: 257},
		"min over max":              {MinLength: 100, MaxLength: 64},
		"5 classes":                 {MinLength: 10, MaxLength: 128, MinClasses: 5},
		"second factor below 8":     {MinLength: 10, MinLengthSecondFactor: 7, MaxLength: 128},
		"second factor over min":    {MinLength: 10, MinLengthSecondFactor: 11, MaxLength: 128},
		"negative classes":          {MinLength: 10, MaxLength: 128, MinClasses: -1},
		"zero (an unloaded config)": {},
	}
	for name, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
}

// An organization's override only tightens the deployment's policy: a looser field is
// refused when it is set, and ignored if the deployment became stricter since.
func TestPolicyOverride(t *testing.T) {
	t.Parallel()
	base := account.DefaultPolicy()
	ok := map[string]struct{ o, want account.Policy }{
		"none":              {account.Policy{}, base},
		"longer, 4 classes": {account.Policy{MinLength: 12, MinClasses: 4}, account.Policy{MinLength: 12, MaxLength: 128, MinClasses: 4, Blocklist: true}},
		"shorter maximum":   {account.Policy{MaxLength: 64}, account.Policy{MinLength: 10, MaxLength: 64, MinClasses: 3, Blocklist: true}},
		"same values":       {base, base},
	}
	for name, c := range ok {
		got, err := base.Override(c.o)
		if err != nil || got != c.want {
			t.Errorf("%s: Override = %+v, %v, want %+v", name, got, err, c.want)
		}
	}
	looser := map[string]account.Policy{
		"shorter minimum": {MinLength: 9},
		"longer maximum":  {MaxLength: 129},
		"fewer classes":   {MinClasses: 2},
		"second factor 8": {MinLengthSecondFactor: 8},
	}
	for name, o := range looser {
		if _, err := base.Override(o); !errors.Is(err, account.ErrLooserPolicy) || !kind.Is(err, kind.Invalid) {
			t.Errorf("%s: Override = %v, want ErrLooserPolicy", name, err)
		}
	}
	for name, o := range map[string]account.Policy{"maximum 32": {MaxLength: 32}, "5 classes": {MinClasses: 5}, "minimum over maximum": {MinLength: 129}} {
		if _, err := base.Override(o); !errors.Is(err, account.ErrInvalid) {
			t.Errorf("%s: Override = %v, want out of bounds", name, err)
		}
	}
	noBlocklist := account.Policy{MinLength: 10, MaxLength: 128}
	if got, _ := noBlocklist.Override(account.Policy{Blocklist: true}); !got.Blocklist {
		t.Error("an override could not turn the blocklist on")
	}
	// Stored overrides are read field by field, the stricter value winning.
	got, err := base.ForOrg(json.RawMessage(`{"min_length":8,"min_classes":4,"max_length":200}`))
	if err != nil || got != (account.Policy{MinLength: 10, MaxLength: 128, MinClasses: 4, Blocklist: true}) {
		t.Errorf("ForOrg(laxer stored fields) = %+v, %v", got, err)
	}
	if got, err := base.ForOrg(nil); err != nil || got != base {
		t.Errorf("ForOrg(nil) = %+v, %v", got, err)
	}
	if _, err := base.ForOrg(json.RawMessage(`{"min_length":"x"}`)); !kind.Is(err, kind.Internal) {
		t.Errorf("ForOrg(corrupt) = %v, want Internal", err)
	}
}

// Service.Create applies the deployment's policy tightened by the organization's stored
// override, with the organization's name and the user's email as the subject; the
// password is hashed NFKC-normalized, so it signs in however its accents are typed.
func TestServicePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.PostgresStore(t)
	orgs := org.NewService(st, time.Now)
	globex, err := orgs.Create(ctx, "Globex Corporation", "globex")
	if err != nil {
		t.Fatal(err)
	}
	other, err := orgs.Create(ctx, "Initech", "initech")
	if err != nil {
		t.Fatal(err)
	}
	users := account.NewService(st, account.NewHasher(cheap, 1, time.Minute), time.Now)
	create := func(o org.Organization, email, pw string) error {
		_, err := users.Create(ctx, account.NewUser{OrgID: o.ID, Email: email, Password: secret.New(pw)})
		return err
	}
	for pw, rule := range map[string]string{"password12": "common", "1234567890": "common", "aaaaaaaaaa": "classes", "Globex Corporation": "org_name", "Ada.Lovelace#1": "email"} {
		var pe *account.PolicyError
		if err := create(globex, "ada.lovelace@example.com", pw); !errors.As(err, &pe) || pe.Rule != rule {
			t.Errorf("Create(%q) = %v, want rule %s", pw, err, rule)
		}
	}
	if _, err := users.SetOrgPolicy(ctx, globex.ID, account.Policy{MinClasses: 2}); !errors.Is(err, account.ErrLooserPolicy) {
		t.Errorf("SetOrgPolicy(looser) = %v, want ErrLooserPolicy", err)
	}
	eff, err := users.SetOrgPolicy(ctx, globex.ID, account.Policy{MinLength: 12, MinClasses: 4})
	if err != nil || eff.MinLength != 12 || eff.MinClasses != 4 {
		t.Fatalf("SetOrgPolicy = %+v, %v", eff, err)
	}
	if p, _, err := users.Policy(ctx, globex.ID); err != nil || p != eff {
		t.Errorf("Policy(globex) = %+v, %v, want %+v", p, err, eff)
	}
	var pe *account.PolicyError
	if err := create(globex, "b@example.com", "Correct horse"); !errors.As(err, &pe) || pe.Rule != "classes" {
		t.Errorf("3 classes under a 4-class override: %v", err)
	}
	if err := create(globex, "c@example.com", "Correct1horse"); !errors.As(err, &pe) || pe.Rule != "classes" {
		t.Errorf("3 classes under a 4-class override: %v", err)
	}
	if err := create(other, "b@example.com", "Correct horse"); err != nil {
		t.Errorf("another organization got the override: %v", err)
	}
	ada, err := users.Create(ctx, account.NewUser{OrgID: globex.ID, Email: "ada.lovelace@example.com", Password: secret.New("Crème brûlée 1")})
	if err != nil {
		t.Fatalf("Create(4 classes) = %v", err)
	}
	// A password change follows the same policy, the organization's override included.
	a := account.NewAuthenticator(st, account.NewHasher(cheap, 1, time.Minute), time.Now)
	for next, rule := range map[string]string{"Correct horse battery": "classes", "My Globex pass 1!": "org_name", "Lovelace pass 1!": "email", "Short 1!": "min_length"} {
		if err := a.ChangePassword(ctx, ada.ID, secret.New("Cre\u0300me bru\u0302le\u0301e 1"), secret.New(next)); !errors.As(err, &pe) || pe.Rule != rule {
			t.Errorf("ChangePassword(%q) = %v, want rule %s", next, err, rule)
		}
	}
	if err := a.WithPolicy(account.NISTPolicy()).ChangePassword(ctx, ada.ID, secret.New("Crème brûlée 1"), secret.New("Correct ho 1!")); !errors.As(err, &pe) || pe.Rule != "min_length" {
		t.Errorf("ChangePassword under nist (15) = %v, want min_length", err)
	}
	if _, err := users.SetOrgPolicy(ctx, globex.ID, account.Policy{}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := users.Policy(ctx, globex.ID); p != account.DefaultPolicy() {
		t.Errorf("Policy after clearing = %+v", p)
	}
	decomposed := "Cre\u0300me bru\u0302le\u0301e 1"
	if _, err := a.Authenticate(ctx, "ada.lovelace@example.com", secret.New(decomposed)); err != nil {
		t.Errorf("sign-in with decomposed accents: %v", err)
	}
	// Created typed decomposed, signs in typed composed: the hash is of the NFKC form.
	if err := create(other, "f@example.com", "Cre\u0300me bru\u0302le\u0301e 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "f@example.com", secret.New("Crème brûlée 2")); err != nil {
		t.Errorf("sign-in with composed accents: %v", err)
	}
	if _, err := users.SetOrgPolicy(ctx, [16]byte{1}, account.Policy{}); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("SetOrgPolicy(unknown org) = %v", err)
	}
	strict := users.WithPolicy(account.NISTPolicy())
	if _, err := strict.Create(ctx, account.NewUser{OrgID: other.ID, Email: "d@example.com", Password: secret.New("Correct horse")}); !errors.As(err, &pe) || pe.Rule != "min_length" {
		t.Errorf("WithPolicy(nist): %v, want min_length", err)
	}
	// A new password typed decomposed is stored NFKC: it signs in typed composed.
	if err := a.ChangePassword(ctx, ada.ID, secret.New("Crème brûlée 1"), secret.New("Nouveau cafe\u0301 9")); err != nil {
		t.Fatalf("ChangePassword = %v", err)
	}
	if _, err := a.Authenticate(ctx, "ada.lovelace@example.com", secret.New("Nouveau café 9")); err != nil {
		t.Errorf("sign-in after the change, composed: %v", err)
	}
}

// The history rule (Policy.History = n): a new password may not be any of the user's last n
// passwords, the current one included; older ones come back; only hashes are kept, n-1 of
// them per user.
func TestPasswordHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := testenv.PostgresStore(t)
	o, err := org.NewService(st, time.Now).Create(ctx, "Hooli", "hooli")
	if err != nil {
		t.Fatal(err)
	}
	hasher := account.NewHasher(cheap, 1, time.Minute)
	u, err := account.NewService(st, hasher, time.Now).Create(ctx, account.NewUser{OrgID: o.ID, Email: "gavin@hooli.example",
		Password: secret.New("Passphrase number 1")})
	if err != nil {
		t.Fatal(err)
	}
	p := account.DefaultPolicy()
	p.History = 3
	a := account.NewAuthenticator(st, hasher, time.Now).WithPolicy(p)
	current := "Passphrase number 1"
	change := func(next string) error {
		err := a.ChangePassword(ctx, u.ID, secret.New(current), secret.New(next))
		if err == nil {
			current = next
		}
		return err
	}
	refused := func(next string) {
		t.Helper()
		var pe *account.PolicyError
		if err := change(next); !errors.As(err, &pe) || pe.Rule != "history" || !strings.Contains(pe.Error(), "last 3 passwords") {
			t.Errorf("change to %q = %v, want the history rule", next, err)
		}
	}
	refused("Passphrase number 1") // the current password
	for _, next := range []string{"Passphrase number 2", "Passphrase number 3"} {
		if err := change(next); err != nil {
			t.Fatalf("change to %q = %v", next, err)
		}
	}
	refused("Passphrase number 1") // two changes ago: within the last 3
	refused("Passphrase number 2")
	if err := change("Passphrase number 4"); err != nil {
		t.Fatal(err)
	}
	if err := change("Passphrase number 1"); err != nil { // three changes ago: allowed again
		t.Errorf("a password older than the last 3 = %v, want allowed", err)
	}
	hist, err := st.PasswordHistory(ctx, u.ID, 10)
	if err != nil || len(hist) != 2 {
		t.Errorf("history kept = %d hashes (%v), want 2 (n-1)", len(hist), err)
	}
	for _, h := range hist {
		if !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("history holds %q, want argon2id hashes only", h)
		}
	}
	// An organization may lengthen the history, never shorten it, within 24.
	if _, err := p.Override(account.Policy{History: 2}); !errors.Is(err, account.ErrLooserPolicy) {
		t.Errorf("Override(history 2 < 3) = %v, want ErrLooserPolicy", err)
	}
	if got, err := p.Override(account.Policy{History: 5}); err != nil || got.History != 5 {
		t.Errorf("Override(history 5) = %+v, %v", got, err)
	}
	if _, err := p.Override(account.Policy{History: 25}); err == nil {
		t.Error("Override(history 25) accepted")
	}
	// Without the rule nothing is remembered and the current password may be set again.
	b := account.NewAuthenticator(st, hasher, time.Now).WithPolicy(account.DefaultPolicy())
	if err := b.ChangePassword(ctx, u.ID, secret.New(current), secret.New(current)); err != nil {
		t.Errorf("history 0: setting the current password again = %v", err)
	}
	if hist, _ := st.PasswordHistory(ctx, u.ID, 10); len(hist) != 0 {
		t.Errorf("history 0 kept %d hashes, want none", len(hist))
	}
}
