package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/sesameid/sesame/"

// layers classifies every package of the module (DESIGN.md, docs/architecture.md). A
// package missing here fails the test: a new package is placed in the architecture when
// it is created, not later.
var layers = map[string]string{
	"cmd/sesame":              "main",
	"internal/cli":            "cli",
	"internal/app":            "app",
	"internal/config":         "config",
	"internal/kind":           "leaf",
	"internal/seal":           "leaf",
	"internal/secret":         "leaf",
	"internal/input":          "leaf",
	"internal/clientip":       "leaf",
	"templates":               "leaf",
	"migrations":              "leaf",
	"internal/org":            "domain",
	"internal/account":        "domain",
	"internal/login":          "domain",
	"internal/client":         "domain",
	"internal/token":          "domain",
	"internal/signing":        "domain",
	"internal/throttle":       "domain",
	"internal/mfa":            "domain",
	"internal/httpx":          "edgekit",
	"internal/oidcop":         "edge",
	"internal/web":            "edge",
	"internal/store/postgres": "adapter",
	"internal/store/redis":    "adapter",
	"internal/sms":            "adapter",
	"internal/localsvc":       "infra",
	"internal/tlsconf":        "infra",
	"internal/testenv":        "testkit",
	"internal/testserver":     "testkit",
	"internal/e2e":            "tests",
}

// domainRank orders the domain packages: one may import another only of lower rank, so
// dependencies run one way (org <- account <- login, mfa; client, token, signing beside them).
var domainRank = map[string]int{
	"internal/client": 0, "internal/throttle": 0, "internal/org": 1, "internal/account": 2, "internal/token": 2,
	"internal/signing": 2, "internal/login": 3, "internal/mfa": 3,
}

// drivers are what only adapters, edges and the composition root may import.
func driver(imp string) bool {
	for _, p := range []string{"net/http", "html/template", "github.com/jackc/", "github.com/redis/", "github.com/zitadel/"} {
		if strings.HasPrefix(imp, p) {
			return true
		}
	}
	return false
}

func thirdParty(imp string) bool { return strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }

// testOnlyModules may be imported by test files of any package.
var testOnlyModules = []string{"github.com/google/go-cmp/"}

// rule returns why pkg (of layer from) may not import imp, or "".
func rule(pkg, from, imp string, test bool) string {
	own := strings.HasPrefix(imp, mod)
	p := strings.TrimPrefix(imp, mod)
	to := layers[p]
	if test {
		if slices.ContainsFunc(testOnlyModules, func(m string) bool { return strings.HasPrefix(imp, m) }) {
			return ""
		}
		// Tests may use the test kits, the adapters (real stores) and, from an edge, the
		// composition root (handler tests over real stores); the layer rules hold otherwise.
		if to == "testkit" || to == "adapter" || (to == "app" && (from == "edge" || from == "edgekit")) {
			if from == "domain" && to == "adapter" {
				return "domain tests use the real stores through testenv, not adapters directly"
			}
			return ""
		}
	} else if (to == "testkit" || to == "tests") && from != "testkit" {
		return "test kits are for _test.go files only"
	}
	switch from {
	case "leaf":
		if own || (thirdParty(imp) && !strings.HasPrefix(imp, "golang.org/x/crypto")) {
			return "leaves import only the standard library and x/crypto"
		}
	case "domain":
		switch {
		case driver(imp):
			return "domain packages never import net/http, html/template, pgx, go-redis or op"
		case own && to == "domain" && domainRank[p] >= domainRank[pkg]:
			return "domain packages import each other in one direction only (see domainRank)"
		case own && to != "leaf" && to != "domain":
			return "domain packages import only leaves and other domain packages"
		}
	case "edgekit", "edge":
		switch {
		case own && (to == "adapter" || to == "app" || to == "cli" || to == "config" || to == "infra"):
			return "edges never import adapters, app, cli, config or localsvc (app hands them what they need)"
		case own && from == "edge" && to == "edge":
			return "edges never import each other: the consumer declares an interface and app wires it"
		case own && from == "edgekit" && to == "edge":
			return "httpx serves the edges and imports none of them"
		}
	case "adapter":
		if own && to != "leaf" && to != "domain" {
			return "adapters import the domain, leaves and their driver only"
		}
	case "config":
		if own && to != "leaf" && to != "domain" {
			return "config imports leaves and domain rules only"
		}
	case "cli":
		if own && (to == "adapter" || to == "edge" || to == "edgekit") {
			return "cli imports app, config, localsvc and domain input types, never an adapter or an edge"
		}
	case "main":
		if own && p != "internal/cli" {
			return "main imports cli only"
		}
	case "infra":
		if own {
			return "infra packages (localsvc, tlsconf) import no package of Sesame's"
		}
	case "app":
		if own && (to == "cli" || to == "testkit" || to == "tests") {
			return "app is imported by cli, never the other way"
		}
	}
	return ""
}

// The package tree is the architecture (DESIGN.md): this test keeps the import rules, for
// the packages and for their tests.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}}|{{.ForTest}}|{{join .Imports " "}}`, mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var checked, tests int
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "|", 3)
		path, forTest, imports := strings.Fields(f[0])[0], f[1], strings.Fields(f[2])
		if strings.HasSuffix(path, ".test") {
			continue // the generated test main
		}
		test := forTest != ""
		pkg := strings.TrimSuffix(strings.TrimPrefix(path, mod), "_test")
		from, ok := layers[pkg]
		if !ok {
			t.Errorf("package %s is not classified in deps_test.go (and docs/architecture.md): place it in a layer", pkg)
			continue
		}
		seen[pkg] = true
		if test {
			tests++
		}
		for _, imp := range imports {
			imp = strings.Fields(imp)[0] // "pkg [x.test]" for packages recompiled for a test
			checked++
			if imp == mod+pkg {
				continue // an external test package imports the package it tests
			}
			if why := rule(pkg, from, imp, test); why != "" {
				kindOf := ""
				if test {
					kindOf = " (test)"
				}
				t.Errorf("%s%s imports %s: %s", pkg, kindOf, strings.TrimPrefix(imp, mod), why)
			}
		}
	}
	for pkg := range layers {
		if !seen[pkg] {
			t.Errorf("deps_test.go classifies %s, which no longer exists", pkg)
		}
	}
	if checked < 200 || tests < 10 {
		t.Errorf("checked only %d imports in %d test packages: is go list -test working?", checked, tests)
	}
}

// The rules above are only as good as their ability to refuse: each case is an import that
// must be refused, and one that must pass.
func TestImportRulesRefuse(t *testing.T) {
	// For each package, imports to try: "+" must pass, "-" must be refused; a "test:"
	// prefix tries the import from the package's tests.
	cases := map[string][]string{
		"internal/login":       {"-net/http", "-test:net/http", "+" + mod + "internal/account", "-test:" + mod + "internal/store/redis", "+test:" + mod + "internal/testenv"},
		"internal/account":     {"-github.com/jackc/pgx/v5"},
		"internal/token":       {"-github.com/redis/go-redis/v9"},
		"internal/signing":     {"-github.com/zitadel/oidc/v3/pkg/op"},
		"internal/org":         {"-" + mod + "internal/account"},
		"internal/web":         {"-" + mod + "internal/oidcop", "-" + mod + "internal/store/redis", "+test:" + mod + "internal/app", "-" + mod + "internal/app"},
		"internal/httpx":       {"-" + mod + "internal/web"},
		"internal/store/redis": {"-" + mod + "internal/httpx"},
		"internal/cli":         {"-" + mod + "internal/store/postgres", "-" + mod + "internal/oidcop"},
		"internal/kind":        {"+errors", "-" + mod + "internal/secret"},
		"internal/oidcop":      {"-" + mod + "internal/testenv"},
		"cmd/sesame":           {"-" + mod + "internal/app"},
	}
	for pkg, imps := range cases {
		for _, c := range imps {
			want, imp := c[0] == '-', c[1:]
			imp, test := strings.CutPrefix(imp, "test:")
			if why := rule(pkg, layers[pkg], imp, test); (why != "") != want {
				t.Errorf("rule(%s imports %s, test=%v) = %q, want refused=%v", pkg, imp, test, why, want)
			}
		}
	}
}
