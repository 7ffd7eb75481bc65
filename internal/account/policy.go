package account

import (
	_ "embed" // the common-passwords list
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// Policy is a password policy: the rules a new password must pass. A deployment has one
// (configuration); an organization may override it, stricter only (ForOrg, Override).
// Lengths count Unicode code points of the NFKC-normalized password.
type Policy struct {
	MinLength int `json:"min_length,omitempty"`
	// MinLengthSecondFactor is the minimum for an organization that requires a second
	// factor (NIST SP 800-63B: 8 then); 0 means MinLength.
	MinLengthSecondFactor int  `json:"min_length_second_factor,omitempty"`
	MaxLength             int  `json:"max_length,omitempty"`
	MinClasses            int  `json:"min_classes,omitempty"` // of lower-case, upper-case, digits, symbols
	Blocklist             bool `json:"blocklist,omitempty"`   // refuse the common passwords (data/common-passwords.txt)
	// History: a new password may not be any of the user's last History passwords (the
	// current one included); 0 turns the rule off.
	History int `json:"history,omitempty"`
}

// Bounds every policy stays within: NIST's floor of 8, and a ceiling on the maximum that
// keeps a password within MaxPasswordBytes whatever its characters.
const (
	floorMinLength = 8
	floorMaxLength = 64
	ceilMaxLength  = MaxPasswordBytes / utf8.UTFMax
	maxClasses     = 4
	maxHistory     = 24 // each remembered password costs one argon2id verification at a change
)

// DefaultPolicy is the deployment policy unless configured: 10 to 128 characters, at least
// 3 of the 4 character classes, not a common password.
func DefaultPolicy() Policy {
	return Policy{MinLength: 10, MaxLength: 128, MinClasses: 3, Blocklist: true}
}

// NISTPolicy is the preset "nist" (NIST SP 800-63B rev. 4, ASVS 5.0): at least 15
// characters, 8 when the organization requires a second factor, no composition rules, not
// a common password.
func NISTPolicy() Policy {
	return Policy{MinLength: 15, MinLengthSecondFactor: 8, MaxLength: 128, Blocklist: true}
}

// Preset returns the named policy: "default" or "nist".
func Preset(name string) (Policy, bool) {
	switch name {
	case "default":
		return DefaultPolicy(), true
	case "nist":
		return NISTPolicy(), true
	}
	return Policy{}, false
}

// Validate reports a policy outside the bounds every policy keeps.
func (p Policy) Validate() error {
	switch {
	case p.MinLength < floorMinLength:
		return fmt.Errorf("minimum length must be at least %d", floorMinLength)
	case p.MinLengthSecondFactor != 0 && (p.MinLengthSecondFactor < floorMinLength || p.MinLengthSecondFactor > p.MinLength):
		return fmt.Errorf("minimum length with a second factor must be between %d and the minimum length", floorMinLength)
	case p.MaxLength < floorMaxLength || p.MaxLength > ceilMaxLength:
		return fmt.Errorf("maximum length must be between %d and %d", floorMaxLength, ceilMaxLength)
	case p.MinLength > p.MaxLength:
		return fmt.Errorf("minimum length must not exceed the maximum length")
	case p.MinClasses < 0 || p.MinClasses > maxClasses:
		return fmt.Errorf("character classes must be between 0 and %d", maxClasses)
	case p.History < 0 || p.History > maxHistory:
		return fmt.Errorf("password history must be between 0 and %d", maxHistory)
	}
	return nil
}

// ErrLooserPolicy: an organization's override would weaken the deployment's policy.
var ErrLooserPolicy = kind.New(kind.Invalid, "an organization's password policy may only be stricter than the deployment's")

// Override returns p tightened by the organization override o (zero fields keep p's), or
// ErrLooserPolicy when a field of o is looser than p's, or an error when the result is
// out of bounds.
func (p Policy) Override(o Policy) (Policy, error) {
	var looser []string
	if o.MinLength != 0 && o.MinLength < p.MinLength {
		looser = append(looser, fmt.Sprintf("minimum length %d is below %d", o.MinLength, p.MinLength))
	}
	if o.MinLengthSecondFactor != 0 && o.MinLengthSecondFactor < p.secondFactorMin() {
		looser = append(looser, fmt.Sprintf("minimum length with a second factor %d is below %d", o.MinLengthSecondFactor, p.secondFactorMin()))
	}
	if o.MaxLength != 0 && o.MaxLength > p.MaxLength {
		looser = append(looser, fmt.Sprintf("maximum length %d is above %d", o.MaxLength, p.MaxLength))
	}
	if o.MinClasses < p.MinClasses && o.MinClasses != 0 {
		looser = append(looser, fmt.Sprintf("character classes %d are fewer than %d", o.MinClasses, p.MinClasses))
	}
	if o.History < p.History && o.History != 0 {
		looser = append(looser, fmt.Sprintf("password history %d is shorter than %d", o.History, p.History))
	}
	if len(looser) > 0 {
		return Policy{}, fmt.Errorf("%w: %s", ErrLooserPolicy, strings.Join(looser, "; "))
	}
	t := p.tighten(o)
	err := t.Validate()
	switch {
	case o.MaxLength != 0 && o.MaxLength < floorMaxLength:
		err = fmt.Errorf("maximum length must be at least %d", floorMaxLength)
	case o.MinClasses > maxClasses:
		err = fmt.Errorf("character classes must be at most %d", maxClasses)
	case o.History > maxHistory:
		err = fmt.Errorf("password history must be at most %d", maxHistory)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return t, nil
}

// tighten returns the strictest of p and o field by field (zero fields of o keep p's).
func (p Policy) tighten(o Policy) Policy {
	p.MinLength = max(p.MinLength, o.MinLength)
	if o.MinLengthSecondFactor != 0 {
		p.MinLengthSecondFactor = max(p.secondFactorMin(), o.MinLengthSecondFactor)
	}
	p.MinLengthSecondFactor = min(p.MinLengthSecondFactor, p.MinLength)
	if o.MaxLength != 0 {
		p.MaxLength = min(p.MaxLength, max(o.MaxLength, floorMaxLength))
	}
	p.MinClasses = max(p.MinClasses, min(o.MinClasses, maxClasses))
	p.Blocklist = p.Blocklist || o.Blocklist
	p.History = max(p.History, min(o.History, maxHistory))
	return p
}

func (p Policy) secondFactorMin() int {
	if p.MinLengthSecondFactor == 0 {
		return p.MinLength
	}
	return p.MinLengthSecondFactor
}

// ForOrg returns the policy an organization's passwords follow: p tightened by the
// organization's stored override (JSON of a Policy; empty for none). An override stored
// when the deployment was laxer never loosens p: each field takes the stricter value.
func (p Policy) ForOrg(override json.RawMessage) (Policy, error) {
	if len(override) == 0 || string(override) == "null" {
		return p, nil
	}
	var o Policy
	if err := json.Unmarshal(override, &o); err != nil {
		return Policy{}, kind.New(kind.Internal, "organization password policy unreadable")
	}
	return p.tighten(o), nil
}

// Subject is what a password must not contain: the user's email and organization name.
type Subject struct {
	Email        string
	OrgName      string
	SecondFactor bool // the organization requires a second factor (the nist preset then asks 8)
}

// NormalizePassword returns the form of pw that is checked and hashed: NFKC, so that one
// password typed on two keyboards is one password. It is never truncated or case-folded.
func NormalizePassword(pw string) string { return norm.NFKC.String(pw) }

// Check returns nil if pw passes p for subject, or a *PolicyError naming the first rule it
// breaks: encoding, control, max_bytes, min_length, max_length, common, email, org_name,
// classes.
func (p Policy) Check(pw secret.Secret, s Subject) error {
	raw := pw.Reveal()
	switch {
	case !utf8.ValidString(raw):
		return &PolicyError{Rule: "encoding", Message: "must be valid UTF-8"}
	case !input.Clean(raw):
		return &PolicyError{Rule: "control", Message: "must not contain control characters"}
	case len(raw) > MaxPasswordBytes:
		return &PolicyError{Rule: "max_bytes", Message: fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)}
	}
	n := NormalizePassword(raw)
	count := utf8.RuneCountInString(n)
	minLen := p.MinLength
	if s.SecondFactor {
		minLen = p.secondFactorMin()
	}
	lower := strings.ToLower(n)
	switch {
	case count < minLen:
		return &PolicyError{Rule: "min_length", Message: fmt.Sprintf("must be at least %d characters", minLen)}
	case count > p.MaxLength:
		return &PolicyError{Rule: "max_length", Message: fmt.Sprintf("must be at most %d characters", p.MaxLength)}
	case p.Blocklist && isCommon(lower):
		return &PolicyError{Rule: "common", Message: "is one of the most commonly used passwords: choose another"}
	case containsPart(lower, localPart(s.Email)):
		return &PolicyError{Rule: "email", Message: "must not contain the name of your email address"}
	case containsPart(lower, s.OrgName):
		return &PolicyError{Rule: "org_name", Message: "must not contain the organization's name"}
	case classes(n) < p.MinClasses:
		return &PolicyError{Rule: "classes", Message: fmt.Sprintf("must mix at least %d of: lower-case letters, upper-case letters, digits, symbols", p.MinClasses)}
	}
	return nil
}

// classes counts the character classes in s: lower-case letters, upper-case letters,
// digits, and everything else (symbols, spaces, letters without case).
func classes(s string) int {
	var lower, upper, digit, other int
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return lower + upper + digit + other
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// containsPart reports whether pw (lower-cased) contains name, ignoring case: the whole
// name (3 characters or more), the name without its separators, or any word of it of 4
// characters or more ("ada.lovelace" forbids "ada", "adalovelace" and "lovelace").
func containsPart(pw, name string) bool {
	name = strings.ToLower(NormalizePassword(name))
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	parts := append([]string{name, strings.Join(words, "")}, words...)
	for i, part := range parts {
		minLen := 3
		if i > 1 {
			minLen = 4
		}
		if utf8.RuneCountInString(part) >= minLen && strings.Contains(pw, part) {
			return true
		}
	}
	return false
}

//go:embed data/common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the read-only set of data/common-passwords.txt, built at first use.
var commonPasswords = sync.OnceValue(loadCommonPasswords)

func loadCommonPasswords() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	// The keys are slices of the embedded file: the set adds no copies of the passwords.
	for line := range strings.Lines(commonPasswordsFile) {
		if line = strings.TrimSuffix(line, "\n"); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
}

func isCommon(lower string) bool {
	_, ok := commonPasswords()[lower]
	return ok
}
